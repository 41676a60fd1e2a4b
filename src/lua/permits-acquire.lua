-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: holder, permits, ttl, waiter ("" = do
-- not queue), the waiter's ms. {1, permits this call took} when the holder holds — {1, 0} when
-- it held already (a retry, a double click: nothing more is taken) or consumed its permits
-- within the retention; else {0, ms until a lease may end, -1 when none will}, queued when
-- waiter is not "".
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
local holder, n, ttl, waiter = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local state = redis.call('HMGET', sem, FREE, WAITING, NEXT, holder)
if not state[1] then
  -- never stocked: a waiter waits for the first restock
  if waiter == '' then return {0, -1} end
  state = create()
end
load(state)
local now = now_ms()
local mine = state[4]
if mine == SOLD then
  if remembered(holder, now) then return {1, 0} end
  mine = nil
end
mine = tonumber(mine)
if mine then
  if tonumber(redis.call('ZSCORE', leases, holder) or 0) > now then
    if waiter ~= '' and redis.call('ZREM', queue, waiter) == 1 then redis.call('HINCRBY', sem, WAITING, -1) end
    return {1, 0}
  end
  -- our lease ended: those permits are back, and we take afresh
  drop(holder)
  free = free + mine
end
reclaim(now)
local served = serve(now, holder)
-- our place in line, if it was not the one just served
if waiter ~= '' and (served or free >= n) then waiting = waiting - redis.call('ZREM', queue, waiter) end
if served then
  store()
  return {1, served}
end
if free >= n then
  take(holder, n, ttl, now)
  store(holder, n)
  return {1, n}
end
-- NX: a retry keeps its place
if waiter ~= '' then waiting = waiting + redis.call('ZADD', queue, 'NX', now, waiter) end
store()
if next_end >= NEVER then return {0, -1} end
return {0, math.max(next_end - now, 0)}
