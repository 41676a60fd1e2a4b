-- wrk: every thread walks its own carts, each step sent twice (a double click, a
-- retried callback): order, order, pay, pay, notify, notify, next cart. Pay and
-- notify trail the orders by 20 carts, so that they do not overtake the order
-- they are for on another connection. E2E_KIND picks the guard (rlock,
-- phpredis, symfony). done() prints JSON.
local kind = os.getenv("E2E_KIND") or "rlock"
local steps = { "order", "order", "pay", "pay", "notify", "notify" }
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  statuses = {}
end

function request()
  local step = steps[(n % #steps) + 1]
  local number = math.floor(n / #steps)
  if step ~= "order" then
    number = math.max(0, number - 20)
  end
  local cart = "t" .. id .. "-" .. number
  n = n + 1
  local body = "cart=" .. cart .. "&amount=1000&txn=x" .. cart
  return wrk.format("POST", "/" .. kind .. "/" .. step, { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, string.format('"%s": %d', status, count))
  end
  io.write(string.format('{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
