-- Shared by the scripts that touch a lock's wait queue (lock, queue, fence are set by the
-- script that includes this). The queue holds the waiters in order of arrival, scored by
-- Redis time in µs; a waiter is "channel|token|ttl|ms|f": where to wake it, the lease it
-- asked for, how long after its arrival it gives up, and what it wants: "0" the lock, "1" the
-- lock and a fencing token, "r" to read. A writer's lock is a string, its token; readers hold
-- it as a sorted set of their tokens scored by the Redis time (ms) their lease ends, the key
-- itself lasting as long as the last of them.
local function now_us()
  local t = redis.call('TIME')
  return t[1] * 1000000 + t[2]
end

local function now_ms()
  return math.floor(now_us() / 1000)
end

-- What holder_of() answers while readers hold the lock.
local READERS = {}

-- The writer's token, READERS, or false when nobody holds the lock. Readers whose lease has
-- ended are dropped first (the set goes with its last member). GET on a sorted set is an error:
-- pcall tells the two apart at no cost to writers.
local function holder_of()
  local holder = redis.pcall('GET', lock)
  if type(holder) ~= 'table' then return holder end
  redis.call('ZREMRANGEBYSCORE', lock, '-inf', now_ms())
  if redis.call('EXISTS', lock) == 0 then return false end
  return READERS
end

-- How long until the holder may change: the writer's lease, or the first reader's to end.
local function holder_ms(holder)
  if holder ~= READERS then return redis.call('PTTL', lock) end
  local first = redis.call('ZRANGE', lock, 0, 0, 'WITHSCORES')
  return math.max(1, first[2] - now_ms())
end

-- The readers' key ends with the last lease, no later: once every reader's lease has ended the
-- key is gone, and a writer's plain SET NX finds the lock free.
local function readers_expire()
  local last = redis.call('ZRANGE', lock, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', lock, last[2]) end
end

-- token reads for ttl ms from now (a new reader, or one renewed).
local function add_reader(token, ttl)
  redis.call('ZADD', lock, now_ms() + ttl, token)
  readers_expire()
end

-- Puts waiter in line (NX: a retry keeps its place), which lasts at least its ms.
local function queue_up(waiter, ms)
  redis.call('ZADD', queue, 'NX', now_us(), waiter)
  if redis.call('PTTL', queue) < tonumber(ms) then redis.call('PEXPIRE', queue, ms) end
end

-- The lock's counter counts up only for a holder that asks for fencing.
local function new_fence(wanted)
  if wanted == '1' and fence then return redis.call('INCR', fence) end
  return 0
end

-- Hands the lock to the line: the first live writer, woken with "token|fence" — or the readers
-- at the head of the line, each woken with "token|0", up to the first live writer, who keeps
-- its place. readers_hold: readers hold the lock now, so only readers can be let in. False
-- when nobody was let in (a writer's lock then holds a stale token: the caller deletes it).
-- A waiter past its own deadline, or whose PUBLISH nobody hears (it died), is dropped; a
-- fencing number given to it is skipped, never reused. The queue is read a few waiters at a
-- time, so handing the lock to a writer costs the same with 3 waiters or 300; a batch reads one
-- waiter more than it serves, so the queue is read again only while it still exists, and a
-- writer's lock key is overwritten, never deleted and re-made: in a Cluster slot that is being
-- migrated, a script may touch only keys that exist.
local function pass_on(readers_hold)
  local now
  local readers = 0
  while true do
    local line = redis.call('ZRANGE', queue, 0, 4, 'WITHSCORES')
    for i = 1, math.min(#line, 8), 2 do
      local waiter = line[i]
      local channel, token, ttl, ms, f = string.match(waiter, '^(.-)|(.-)|(%d+)|(%d+)|([01r])$')
      now = now or now_us()
      local alive = channel and line[i + 1] + ms * 1000 > now
      if alive and f ~= 'r' and (readers_hold or readers > 0) then
        -- a writer keeps its place while it listens; one that died (nobody on its channel) is
        -- dropped, or it would keep new readers out until its deadline
        if redis.call('PUBSUB', 'NUMSUB', channel)[2] > 0 then return readers > 0 end
        alive = false
      end
      redis.call('ZREM', queue, waiter)
      if alive and f == 'r' then
        if readers == 0 and not readers_hold and redis.call('TYPE', lock).ok == 'string' then
          redis.call('DEL', lock)
        end
        add_reader(token, ttl)
        if redis.call('PUBLISH', channel, token .. '|0') > 0 then
          readers = readers + 1
        else
          redis.call('ZREM', lock, token)
        end
      elseif alive then
        redis.call('SET', lock, token, 'PX', ttl)
        if redis.call('PUBLISH', channel, token .. '|' .. new_fence(f)) > 0 then return true end
      end
    end
    if #line < 10 then return readers > 0 end
  end
end
