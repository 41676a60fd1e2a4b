-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: holder, permits, ttl, waiter ("" = do
-- not queue), the waiter's ms. {1, permits this call took} when the holder holds — {1, 0} when
-- it held already (a retry, a double click: nothing more is taken) or consumed its permits
-- within the retention; else {0, ms until the next lease ends, -1 when none does}, queued when
-- waiter is not "".
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
local holder, n, waiter = ARGV[1], tonumber(ARGV[2]), ARGV[4]
local state = redis.call('HMGET', sem, FREE, WAITING, holder)
if not state[1] then
  -- never stocked: a waiter waits for the first restock
  if waiter == '' then return {0, -1} end
  state = create()
  state[3] = nil
end
local now = now_ms()
if state[3] == SOLD then
  if remembered(holder, now) then return {1, 0} end
  state[3] = nil
end
local free, mine = tonumber(state[1]), tonumber(state[3])
if mine then
  if tonumber(redis.call('ZSCORE', leases, holder) or 0) > now then
    if waiter ~= '' and redis.call('ZREM', queue, waiter) == 1 then redis.call('HINCRBY', sem, WAITING, -1) end
    return {1, 0}
  end
  -- our lease ended: those permits are back, and we take afresh
  drop(holder)
  free = free + mine
end
local waiting, served
free, waiting, served = serve(now, free + reclaim(now), tonumber(state[2]), holder)
if not served and free >= n then
  take(holder, n, tonumber(ARGV[3]), now)
  free, served = free - n, n
end
if served then
  -- our place in line, if it was not the one just served
  if waiter ~= '' then waiting = waiting - redis.call('ZREM', queue, waiter) end
  store(free, waiting, state)
  return {1, served}
end
-- NX: a retry keeps its place
if waiter ~= '' then waiting = waiting + redis.call('ZADD', queue, 'NX', now, waiter) end
store(free, waiting, state)
local next_end = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
if next_end[1] == NONE then return {0, -1} end
return {0, tonumber(next_end[2]) - now}
