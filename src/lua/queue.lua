-- Shared by the scripts that touch a lock's wait queue (lock, queue, fence are set by the
-- script that includes this). The queue holds the waiters in order of arrival, scored by
-- Redis time in µs; a waiter is "channel|token|ttl|ms|f": where to wake it, the lease it
-- asked for, how long after its arrival it gives up, and whether it wants a fencing token.
local function now_us()
  local t = redis.call('TIME')
  return t[1] * 1000000 + t[2]
end

-- The lock's counter counts up only for a holder that asks for fencing.
local function new_fence(wanted)
  if wanted == '1' and fence then return redis.call('INCR', fence) end
  return 0
end

-- Hands the lock to the first live waiter in line, then wakes it with "token|fence"; false
-- when nobody in line is alive (the lock then holds a stale token: the caller deletes it).
-- A waiter past its own deadline, or whose PUBLISH nobody hears (it died), is dropped; a
-- fencing number given to it is skipped, never reused. The queue is read a few waiters at a
-- time, so a release costs the same with 3 waiters or 300; a batch reads one waiter more than
-- it serves, so the queue is read again only while it still exists, and the lock key is
-- overwritten, never deleted and re-made: in a Cluster slot that is being migrated, a script
-- may touch only keys that exist.
local function pass_on()
  local now
  while true do
    local line = redis.call('ZRANGE', queue, 0, 4, 'WITHSCORES')
    for i = 1, math.min(#line, 8), 2 do
      local waiter = line[i]
      redis.call('ZREM', queue, waiter)
      local channel, token, ttl, ms, f = string.match(waiter, '^(.-)|(.-)|(%d+)|(%d+)|([01])$')
      now = now or now_us()
      if channel and line[i + 1] + ms * 1000 > now then
        redis.call('SET', lock, token, 'PX', ttl)
        if redis.call('PUBLISH', channel, token .. '|' .. new_fence(f)) > 0 then return true end
      end
    end
    if #line < 10 then return false end
  end
end
