-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: holder. 1 when the holder's permits went
-- back to the pool (and on to the waiters), 0 when it held none (its lease ended, or it never
-- held, or it consumed them).
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
if redis.call('EXISTS', sem) == 0 then return 0 end
local now = now_ms()
local held = holding(ARGV[1], now)
if held then give_back(ARGV[1]) end
settle(now)
return held and 1 or 0
