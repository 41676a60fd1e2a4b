-- RLockSemaphore: shared by its scripts (the script that includes this sets sem, leases, queue,
-- sold). sem is a hash: the counts FREE, ADDED, CONSUMED and WAITING (entries in the queue), and
-- each holder's permits — or SOLD once it consumed them, until it is forgotten; leases: holder
-- -> when its lease ends; queue: the waiters by arrival; sold: holder -> when it is forgotten
-- (times in Redis ms). Holder ids have no NUL byte, so the count fields and the member NONE,
-- which each zset keeps scored +inf from the first restock on, are no holder's: the keys never
-- vanish once made, which a script in a Cluster slot being migrated needs (it may touch only keys
-- that exist). A script reads the counts once (HMGET) and writes them once (HSET); every loop is
-- bounded, so a call costs the same with 3 holders or waiters or 3 million.
local FREE, ADDED, CONSUMED, WAITING, NONE, SOLD = '\0free', '\0added', '\0consumed', '\0waiting', '\0', 'sold'
local RECLAIM_MAX, SERVE_MAX = 64, 64

-- The semaphore's keys, made on its first restock (or its first waiter): counts at 0, and the
-- members that keep the zsets from vanishing. The counts as HMGET read them.
local function create()
  redis.call('HSET', sem, FREE, 0, WAITING, 0, ADDED, 0, CONSUMED, 0)
  for _, set in ipairs({leases, queue, sold}) do redis.call('ZADD', set, 'NX', '+inf', NONE) end
  return {'0', '0', '0'}
end

local function now_ms()
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end

-- The permits of leases that ended come back: the longest ended first, at most RECLAIM_MAX a
-- call. Returns how many came back (the caller adds them to FREE).
local function reclaim(now)
  local ended = redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, RECLAIM_MAX)
  if #ended == 0 then return 0 end
  local counts = redis.call('HMGET', sem, unpack(ended))
  local back = 0
  for i = 1, #ended do back = back + (tonumber(counts[i]) or 0) end
  redis.call('HDEL', sem, unpack(ended))
  redis.call('ZREM', leases, unpack(ended))
  return back
end

local function take(holder, n, ttl, now)
  redis.call('HSET', sem, holder, n)
  redis.call('ZADD', leases, now + ttl, holder)
end

local function drop(holder)
  redis.call('HDEL', sem, holder)
  redis.call('ZREM', leases, holder)
end

-- Hands free permits to the waiters in arrival order and wakes each with "token|permits": each in
-- turn that wants no more than is free gets them. A waiter is "channel|token|permits|ttl|ms|holder",
-- scored by its arrival; one past its deadline (ms after it), or whose PUBLISH nobody hears (it
-- died), is dropped; one whose holder id holds already is woken with "token|0". Only the first
-- SERVE_MAX in line are looked at. self is the holder the calling script acts for, if any:
-- permits served to it are taken whatever PUBLISH says (it is alive: it asks), and returned third.
-- Returns free and waiting as left.
local function serve(now, free, waiting, self)
  waiting = waiting or 0
  if waiting <= 0 or free <= 0 then return free, waiting end
  local line = redis.call('ZRANGE', queue, 0, SERVE_MAX, 'WITHSCORES')
  local kept, mine = 0, nil
  for i = 1, #line, 2 do
    local waiter = line[i]
    if waiter ~= NONE then
      local channel, token, n, ttl, ms, holder = string.match(waiter, '^(.-)|(.-)|(%d+)|(%d+)|(%d+)|(.+)$')
      n = tonumber(n)
      local gone = not channel or tonumber(line[i + 1]) + ms <= now
      local has = not gone and redis.call('HGET', sem, holder)
      if gone or has or n <= free then
        redis.call('ZREM', queue, waiter)
        waiting = waiting - 1
        if has then
          redis.call('PUBLISH', channel, token .. '|0')
        elseif not gone then
          take(holder, n, ttl, now)
          if redis.call('PUBLISH', channel, token .. '|' .. n) > 0 or holder == self then
            free = free - n
            if holder == self then mine = n end
          else
            drop(holder)
          end
        end
      else
        kept = kept + 1
      end
      if free <= 0 then return free, waiting, mine end
    end
  end
  -- the whole line was read: what is left in it is the count
  if #line < 2 * (SERVE_MAX + 1) then waiting = kept end
  return free, waiting, mine
end

-- A holder that consumed is remembered until its time in sold; then it is forgotten. True
-- while remembered.
local function remembered(holder, now)
  if tonumber(redis.call('ZSCORE', sold, holder) or 0) > now then return true end
  redis.call('ZREM', sold, holder)
  redis.call('HDEL', sem, holder)
  return false
end

-- Writes the counts back when a call changed them.
local function store(free, waiting, state)
  if free ~= tonumber(state[1]) or waiting ~= (tonumber(state[2]) or 0) then
    redis.call('HSET', sem, FREE, free, WAITING, waiting)
  end
end
