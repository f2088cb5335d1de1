# tests/lib/speedscope.sh: sourced by test_chrome_real.sh and test_flame_real.sh: installs the
# pinned speedscope npm package into $BUILD/node_modules (once; later runs reuse it). Its
# bundle is loaded in node by speedscope_load.cjs.
# Needs BUILD, TMP and a fail() that exits. Sets SPEEDSCOPE_VERSION and DIST (the bundle's folder).

SPEEDSCOPE_VERSION=1.25.0
DIST="$BUILD/node_modules/speedscope/dist/release"

# speedscope_install: fails (never skips) when node, npm or the package is unavailable.
speedscope_install() {
  command -v node >/dev/null || fail "node is not installed: this test needs node and npm (apt-get install nodejs npm)"
  if ! speedscope_have_version; then
    command -v npm >/dev/null || fail "npm is not installed: cannot install speedscope@$SPEEDSCOPE_VERSION"
    echo "installing speedscope@$SPEEDSCOPE_VERSION into $BUILD/node_modules"
    # bounded: an unreachable registry must fail the test well inside ctest's timeout
    if ! timeout 240 npm install --prefix "$BUILD" --no-save --no-audit --no-fund \
        --loglevel=error --fetch-retries=1 --fetch-timeout=60000 \
        "speedscope@$SPEEDSCOPE_VERSION" >"$TMP/npm.log" 2>&1; then
      cat "$TMP/npm.log" >&2
      fail "could not install speedscope@$SPEEDSCOPE_VERSION from the npm registry (offline?)"
    fi
    speedscope_have_version || fail "speedscope@$SPEEDSCOPE_VERSION not found in $BUILD/node_modules after npm install"
  fi
}

speedscope_have_version() {
  node -e 'const v=require(process.argv[1]).version; process.exit(v===process.argv[2]?0:1)' \
    "$BUILD/node_modules/speedscope/package.json" "$SPEEDSCOPE_VERSION" 2>/dev/null
}
