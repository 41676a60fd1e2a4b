-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: holder, permits, ttl, waiter ("" = do
-- not queue), the waiter's ms. {1, permits held} when the holder holds (taken now, or already:
-- a retry or a double click takes nothing more), {1, 0} when it consumed its permits already;
-- else {0, ms until the next lease ends, -1 when none does}, queued when waiter is not "".
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
if state[3] == SOLD then return {1, 0} end
local now = now_ms()
local free, mine = tonumber(state[1]), tonumber(state[3])
if mine then
  if tonumber(redis.call('ZSCORE', leases, holder) or 0) > now then
    if waiter ~= '' and redis.call('ZREM', queue, waiter) == 1 then redis.call('HINCRBY', sem, WAITING, -1) end
    return {1, mine}
  end
  -- our lease ended: those permits are back, and we take afresh
  drop(holder)
  free = free + mine
end
local waiting
free, waiting = serve(now, free + reclaim(now), tonumber(state[2]))
if free >= n then
  if waiter ~= '' then waiting = waiting - redis.call('ZREM', queue, waiter) end
  take(holder, n, tonumber(ARGV[3]), now)
  store(free - n, waiting, state)
  return {1, n}
end
-- NX: a retry keeps its place
if waiter ~= '' then waiting = waiting + redis.call('ZADD', queue, 'NX', now, waiter) end
store(free, waiting, state)
local next_end = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
if next_end[1] == NONE then return {0, -1} end
return {0, tonumber(next_end[2]) - now}
