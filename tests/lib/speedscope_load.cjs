// tests/lib/speedscope_load.cjs: speedscope's importer, out of its built web app, for the
// drivers of test_chrome_real.sh and test_flame_real.sh.
//
// How: speedscope ships only its built web app. Its bundle defines the importer module behind
// a lazy promise that the app's own loadFileFromBase64 path awaits; we evaluate the bundle in
// a node vm context with the few browser globals it touches at load time and expose that
// promise as ctx.__fathomImporter. The app's UI rendering then fails for lack of a DOM; that
// error is expected and ignored (the importer does not need it).
//
// load(dir, die) -> { ctx, warnings }: dir holds the bundle (speedscope-*.js); die(msg) exits;
// warnings collects what the bundle logs with console.warn / console.error.
const fs = require('fs'), vm = require('vm'), path = require('path');

module.exports = function load(dir, die) {
  const bundle = fs.readdirSync(dir).find(n => /^speedscope-.*\.js$/.test(n));
  if (!bundle) die('no speedscope bundle in ' + dir);
  let src = fs.readFileSync(path.join(dir, bundle), 'utf8');
  // `async function X(t,e){return(await P).importProfileGroupFromText(t,e)}`: P is the
  // importer module's promise; expose it right after its definition `var P=Promise...;`.
  const use = /async function [\w$]+\([\w$]+,[\w$]+\)\{return\(await ([\w$]+)\)\.importProfileGroupFromText\(/.exec(src);
  if (!use) die('speedscope bundle: importer entry point not found');
  const def = new RegExp('var ' + use[1].replace(/\$/g, '\\$') + '=Promise\\.resolve\\(\\)\\.then\\([^;]*\\);').exec(src);
  if (!def) die('speedscope bundle: importer promise not found');
  const at = def.index + def[0].length;
  src = src.slice(0, at) + 'globalThis.__fathomImporter=' + use[1] + ';' + src.slice(at);

  const warnings = [];
  const ctx = {
    console: { log() {}, info() {}, debug() {}, assert() {}, time() {}, timeEnd() {},
               warn: (...a) => warnings.push(a.join(' ')), error: (...a) => warnings.push(a.join(' ')) },
    location: { hash: '', search: '', href: 'file:///speedscope/index.html', protocol: 'file:' },
    navigator: { userAgent: 'node', platform: 'Linux' },
    TextDecoder, TextEncoder, atob, btoa, setTimeout, clearTimeout, URL,
  };
  ctx.window = ctx; ctx.self = ctx; ctx.globalThis = ctx;
  vm.createContext(ctx);
  try { vm.runInContext(src, ctx, { filename: bundle }); }
  catch (e) { if (!ctx.__fathomImporter) die('speedscope bundle failed before its importer loaded: ' + e.message); }
  return { ctx, warnings };
};
