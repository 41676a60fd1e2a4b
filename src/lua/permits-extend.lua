-- RLockSemaphore. KEYS: leases. ARGV: holder, ttl. 1 when the holder's lease had not ended and
-- now ends ttl ms from now, else 0. extend() and the watchdog's renewal.
local ends = redis.call('ZSCORE', KEYS[1], ARGV[1])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if ends and tonumber(ends) > now then
  redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
  return 1
end
return 0
