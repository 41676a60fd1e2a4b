-- RLockSemaphore: shared by its scripts (the script that includes this sets sem, leases, queue,
-- sold). sem is a hash: the counts FREE, ADDED, CONSUMED, WAITING (entries in the queue) and NEXT
-- (no lease ends before it: reclaim looks only then), and each holder's permits — or SOLD once it
-- consumed them, until it is forgotten; leases: holder -> when its lease ends; queue: the waiters
-- by arrival; sold: holder -> when it is forgotten (times in Redis ms). Holder ids have no NUL
-- byte, so the count fields and the member NONE, which each zset keeps scored +inf from the first
-- restock on, are no holder's: the keys never vanish once made, which a script in a Cluster slot
-- being migrated needs (it may touch only keys that exist). A script reads the counts once
-- (load) and writes them once (store): every Redis call costs, and a take is four of them. Every
-- loop is bounded: a call costs the same with 3 holders or waiters or 3 million.
local FREE, ADDED, CONSUMED, WAITING, NEXT, NONE, SOLD = '\0free', '\0added', '\0consumed', '\0waiting', '\0next', '\0', 'sold'
local RECLAIM_MAX, SERVE_MAX, NEVER = 64, 64, 1e15
local free, waiting, next_end, loaded

-- The counts from HMGET sem FREE WAITING NEXT ...
local function load(state)
  loaded = state
  free, waiting, next_end = tonumber(state[1]), tonumber(state[2]) or 0, tonumber(state[3]) or 0
end

-- Writes the counts back when this call changed them, with the field/value pairs given.
local function store(...)
  if select('#', ...) > 0 or free ~= tonumber(loaded[1]) or waiting ~= (tonumber(loaded[2]) or 0)
      or next_end ~= (tonumber(loaded[3]) or 0) then
    redis.call('HSET', sem, FREE, free, WAITING, waiting, NEXT, next_end, ...)
  end
end

-- The semaphore's keys, made on its first restock (or its first waiter): counts at 0, and the
-- members that keep the zsets from vanishing. Returns the counts as HMGET reads them.
local function create()
  redis.call('HSET', sem, FREE, 0, WAITING, 0, NEXT, NEVER, ADDED, 0, CONSUMED, 0)
  for _, set in ipairs({leases, queue, sold}) do redis.call('ZADD', set, 'NX', '+inf', NONE) end
  return {'0', '0', tostring(NEVER), '0'}
end

local function now_ms()
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end

local function drop(holder)
  redis.call('HDEL', sem, holder)
  redis.call('ZREM', leases, holder)
end

-- Once a lease may have ended, the permits of those that did come back: the longest ended
-- first, at most RECLAIM_MAX a call; then NEXT is the first lease end left.
local function reclaim(now)
  if now < next_end then return end
  local ended = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, RECLAIM_MAX)
  if #ended > 0 then
    local counts = redis.call('HMGET', sem, unpack(ended))
    for i = 1, #ended do free = free + (tonumber(counts[i]) or 0) end
    redis.call('HDEL', sem, unpack(ended))
    redis.call('ZREM', leases, unpack(ended))
  end
  local first = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
  next_end = (first[1] == nil or first[1] == NONE) and NEVER or tonumber(first[2])
end

local function take(holder, n, ttl, now)
  redis.call('ZADD', leases, now + ttl, holder)
  next_end = math.min(next_end, now + ttl)
  free = free - n
end

-- Hands free permits to the waiters in arrival order and wakes each with "token|permits": each in
-- turn that wants no more than is free gets them. A waiter is "channel|token|permits|ttl|ms|holder",
-- scored by its arrival; one past its deadline (ms after it), or whose PUBLISH nobody hears (it
-- died), is dropped; one whose holder id holds already is woken with "token|0". The line is read
-- four at a time, up to SERVE_MAX waiters looked at: handing one permit to the first in line
-- costs the same with 8 waiters or 800. self is the holder the calling script acts for, if any:
-- permits served to it are taken whatever PUBLISH says (it is alive: it asks), and returned.
local function serve_one(waiter, arrived, now, self)
  local channel, token, n, ttl, ms, holder = string.match(waiter, '^(.-)|(.-)|(%d+)|(%d+)|(%d+)|(.+)$')
  n = tonumber(n)
  local gone = not channel or tonumber(arrived) + ms <= now
  local has = not gone and redis.call('HGET', sem, holder)
  if not (gone or has or n <= free) then return false end
  redis.call('ZREM', queue, waiter)
  waiting = waiting - 1
  if has then
    redis.call('PUBLISH', channel, token .. '|0')
  elseif not gone then
    redis.call('HSET', sem, holder, n)
    take(holder, n, ttl, now)
    if holder == self then return true, n end
    if redis.call('PUBLISH', channel, token .. '|' .. n) == 0 then
      drop(holder)
      free = free + n
    end
  end
  return true
end

local function serve(now, self)
  local kept, looked, mine = 0, 0, nil
  while waiting > 0 and free > 0 and looked < SERVE_MAX do
    local line = redis.call('ZRANGE', queue, kept, kept + 3, 'WITHSCORES')
    for i = 1, #line, 2 do
      if line[i] == NONE then
        -- the whole line was read: what is left in it is the count
        waiting = kept
        return mine
      end
      looked = looked + 1
      local done, taken = serve_one(line[i], line[i + 1], now, self)
      if not done then kept = kept + 1 end
      mine = mine or taken
      if free <= 0 then return mine end
    end
    if #line == 0 then return mine end
  end
  return mine
end

-- A holder that consumed is remembered until its time in sold; then it is forgotten. True
-- while remembered.
local function remembered(holder, now)
  if tonumber(redis.call('ZSCORE', sold, holder) or 0) > now then return true end
  redis.call('ZREM', sold, holder)
  redis.call('HDEL', sem, holder)
  return false
end
