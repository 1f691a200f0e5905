-- wrk script for every benchmark operation: replays the requests of a spec file that bench/bench.py writes
-- (a Lua file returning a table), so the per-request work in wrk is a table lookup and, at most, one concatenation.
--
--   BENCH_SPEC=/path/spec.lua wrk -t2 -c8 -d5s --latency -s bench/wrk/requests.lua http://127.0.0.1:PORT/
--
-- Spec:
--   { run = "r1",                    -- a prefix that makes unique values unique across runs
--     items = {                      -- cycled through; each thread starts at its own offset
--       { method = "POST", path = "/", headers = { ... }, body = "..." },           -- sent as is
--       { method = "POST", path = "/", headers = { ... }, parts = { "a", "b" } },   -- body = a .. unique .. b
--       { method = "GET", path = "/ping", headers = { ... } },
--     } }
-- where unique = run .. "-" .. thread .. "-" .. counter (SignUp usernames, UpdateUserAttributes values).
--
-- done() prints one line, `BENCH_RESULT {json}`, that bench.py parses: requests, duration, socket errors,
-- responses with status >= 400 (wrk's "Non-2xx or 3xx responses" counts status > 399), latency percentiles in µs.

local spec = dofile(os.getenv("BENCH_SPEC"))

local thread_count = 0
local threads = {}

function setup(thread)
   thread_count = thread_count + 1
   thread:set("tid", thread_count)
   threads[thread_count] = thread
end

local function head(item)
   local lines = { (item.method or "GET") .. " " .. (item.path or "/") .. " HTTP/1.1" }
   for name, value in pairs(item.headers or {}) do
      lines[#lines + 1] = name .. ": " .. value
   end
   return table.concat(lines, "\r\n") .. "\r\n"
end

local prepared = {}   -- per item: a whole request string, or { head, part1, part2 }
local index = 0
local counter = 0
local prefix = ""

function init(args)
   local n = #spec.items
   for i, item in ipairs(spec.items) do
      local h = head(item)
      if item.parts then
         prepared[i] = { h, item.parts[1], item.parts[2] }
      elseif item.body then
         prepared[i] = h .. "Content-Length: " .. #item.body .. "\r\n\r\n" .. item.body
      else
         prepared[i] = h .. "\r\n"
      end
   end
   -- Threads start spread over the items (tid is set by setup() before init runs).
   local t = tonumber(tid) or 1
   local threads_total = tonumber(args[1]) or 2
   index = math.floor((t - 1) * n / threads_total) % n
   prefix = (spec.run or "r") .. "-" .. t .. "-"
end

function request()
   index = index + 1
   if index > #prepared then index = 1 end
   local p = prepared[index]
   if type(p) == "string" then return p end
   counter = counter + 1
   local body = p[2] .. prefix .. counter .. p[3]
   return p[1] .. "Content-Length: " .. #body .. "\r\n\r\n" .. body
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
      '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
