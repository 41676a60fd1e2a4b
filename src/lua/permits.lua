-- RLockSemaphore: shared by its scripts (the script that includes this sets sem, leases, queue,
-- sold). sem is a hash: the counts FREE, ADDED and CONSUMED, and each holder's permits; leases:
-- holder -> when its lease ends; queue: the waiters by arrival; sold: holder -> when a holder
-- that consumed is forgotten (times in Redis ms). Holder ids have no NUL byte, so the count
-- fields and the member NONE, which each zset keeps scored +inf from the first restock on, are
-- no holder's: the keys never vanish once made, which a script in a Cluster slot being
-- migrated needs (it may touch only keys that exist). Every loop is bounded: a call does the
-- same work with 3 holders or 3 million.
local FREE, ADDED, CONSUMED, NONE = '\0free', '\0added', '\0consumed', '\0'
local RECLAIM_MAX, SERVE_MAX = 64, 64

local function now_ms()
  local t = redis.call('TIME')
  return t[1] * 1000 + math.floor(t[2] / 1000)
end

-- The holder's permits go back to the free count; it holds nothing any more.
local function give_back(holder)
  local n = tonumber(redis.call('HGET', sem, holder))
  if n then
    redis.call('HDEL', sem, holder)
    redis.call('HINCRBY', sem, FREE, n)
  end
  redis.call('ZREM', leases, holder)
end

-- The permits a holder holds under a lease that has not ended, or nil; a lease found ended is
-- given back here and then.
local function holding(holder, now)
  local ends = redis.call('ZSCORE', leases, holder)
  if not ends then return nil end
  if tonumber(ends) <= now then
    give_back(holder)
    return nil
  end
  return tonumber(redis.call('HGET', sem, holder))
end

-- Permits whose lease ended come back: the longest ended first, at most RECLAIM_MAX a call.
local function reclaim(now)
  for _, holder in ipairs(redis.call('ZRANGEBYSCORE', leases, '-inf', now, 'LIMIT', 0, RECLAIM_MAX)) do
    give_back(holder)
  end
end

local function take(holder, n, ttl, now)
  redis.call('HINCRBY', sem, FREE, -n)
  redis.call('HSET', sem, holder, n)
  redis.call('ZADD', leases, now + ttl, holder)
end

-- Hands free permits to the waiters in arrival order, and wakes each with "token|0"; the first
-- in line that wants more than is free waits for more (no one behind it is served first). A
-- waiter is "channel|token|permits|ttl|ms|holder", scored by its arrival: it gives up ms after
-- it. One past its deadline, or whose PUBLISH nobody hears (it died), is dropped.
local function serve(now)
  local free = tonumber(redis.call('HGET', sem, FREE)) or 0
  for _ = 1, SERVE_MAX do
    local first = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
    local waiter = first[1]
    if waiter == nil or waiter == NONE then return end
    local channel, token, n, ttl, ms, holder = string.match(waiter, '^(.-)|(.-)|(%d+)|(%d+)|(%d+)|(.+)$')
    n = tonumber(n)
    if channel and tonumber(first[2]) + ms > now then
      if holding(holder, now) then
        -- another call with this holder id took its permits meanwhile: nothing more to take
        redis.call('ZREM', queue, waiter)
        redis.call('PUBLISH', channel, token .. '|0')
      elseif n > free then
        return
      else
        redis.call('ZREM', queue, waiter)
        take(holder, n, ttl, now)
        free = free - n
        if redis.call('PUBLISH', channel, token .. '|0') == 0 then
          give_back(holder)
          free = free + n
        end
      end
    else
      redis.call('ZREM', queue, waiter)
    end
  end
end

-- Permits kept free for the waiters: those whose lease ended come back, then the line is served.
local function settle(now)
  reclaim(now)
  serve(now)
end
