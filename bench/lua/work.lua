-- work.lua: the Lua workload of bench/run.sh (lua_* and selftime_* figures), a mix so that
-- several interpreter functions matter: recursive calls, table inserts and sorting, string
-- building, gsub and formatting, closures, a small object system with metatables, and
-- garbage collection. Deterministic (fixed random seed, no addresses as keys): it prints
-- one checksum line, which must be the same in every build. Usage: lua work.lua [SCALE]
-- (SCALE 1: 10 rounds, ~2 s on the plain build of the development machine).
local scale = tonumber(arg and arg[1]) or 1
math.randomseed(42)

local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end

local function tables(n)
  local t = {}
  for i = 1, n do t[#t + 1] = math.random(1, 1000000) end
  table.sort(t)
  local recs = {}
  for i = 1, n // 4 do recs[i] = {key = t[i] % 997, v = i} end
  table.sort(recs, function(a, b) if a.key ~= b.key then return a.key < b.key end return a.v < b.v end)
  local s = 0
  for i = 1, #recs, 7 do s = s + recs[i].key * i end
  local removed = 0
  for i = 1, n // 8 do removed = removed + table.remove(t) end
  return s + t[#t] + removed % 1000003
end

local function strings(n)
  local parts = {}
  for i = 1, n do parts[#parts + 1] = string.format("item%05d:%x", i, i * 7919) end
  local s = table.concat(parts, ",")
  local count = 0
  local r = s:gsub("item(%d+):(%x+)", function(a, b) count = count + 1; return b .. a end)
  local u = r:upper():gsub("[AEIOU]", "*")
  local words = 0
  for w in u:gmatch("[^,]+") do words = words + #w end
  local acc = ""
  for i = 1, n // 20 do acc = acc .. tostring(i % 10) end
  return count + words + #acc + #u
end

local function closures(n)
  local function counter(step) local c = 0 return function() c = c + step return c end end
  local fs = {}
  for i = 1, 16 do fs[i] = counter(i) end
  local s = 0
  for i = 1, n do s = s + fs[(i % 16) + 1]() end
  local function compose(f, g) return function(x) return f(g(x)) end end
  local h = compose(function(x) return x * 2 end, function(x) return x + 1 end)
  for i = 1, n // 4 do s = s + h(i) % 7 end
  return s
end

local Vec = {}
Vec.__index = Vec
function Vec.new(x, y) return setmetatable({x = x, y = y}, Vec) end
function Vec.__add(a, b) return Vec.new(a.x + b.x, a.y + b.y) end
function Vec.__mul(a, k) return Vec.new(a.x * k, a.y * k) end
function Vec:dot(o) return self.x * o.x + self.y * o.y end
function Vec:__tostring() return "(" .. self.x .. "," .. self.y .. ")" end
local Particle = setmetatable({}, {__index = Vec})
Particle.__index = Particle
Particle.__add, Particle.__mul = Vec.__add, Vec.__mul
function Particle.new(x, y, m)
  local p = Vec.new(x, y); p.m = m
  return setmetatable(p, Particle)
end
function Particle:energy() return 0.5 * self.m * self:dot(self) end

local function objects(n)
  local ps = {}
  for i = 1, 64 do ps[i] = Particle.new(i % 13, i % 7, 1 + i % 3) end
  local e, acc = 0, Vec.new(0, 0)
  for i = 1, n do
    local p = ps[(i % 64) + 1]
    acc = acc + p * 0.5
    if i % 8 == 0 then e = e + p:energy() end
  end
  return math.floor(e + acc.x + acc.y) + #tostring(acc)
end

local sum = 0
for round = 1, math.max(1, math.floor(10 * scale + 0.5)) do
  sum = sum + fib(24)
  sum = sum + tables(60000)
  sum = sum + strings(40000)
  sum = sum + closures(300000)
  sum = sum + objects(150000)
  collectgarbage("step", 0)
end
print(string.format("checksum %d", sum % 1000000007))
