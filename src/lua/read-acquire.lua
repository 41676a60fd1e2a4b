-- KEYS: lock, queue, fence. ARGV: token, ttl, waiter ("" = do not queue), the waiter's ms,
-- (fair, fencing: unused), demoting ("1": only if we write it now). {1, 0} when we read: let
-- in, already a reader (the lease renewed), or our write lock demoted (the readers waiting
-- behind it come in too); else {0, the ms until the holder's lease ends — at most a second
-- while a writer waits in line, whose death only its silence tells}. A reader comes in only
-- while no writer waits: a writer in line is never starved.
local lock, queue, fence = KEYS[1], KEYS[2], KEYS[3]
-- include: queue.lua
local token, ttl, waiter = ARGV[1], ARGV[2], ARGV[3]
local holder = holder_of()
if holder == token then
  redis.call('DEL', lock)
  add_reader(token, ttl)
  pass_on(true)
  return {1, 0}
end
if ARGV[7] == '1' then
  -- our write lock lapsed: nothing to demote
  return {0, holder == false and 0 or holder_ms(holder)}
end
-- a lock left free (a lease ran out) still goes to the longest waiter: a reader never jumps the
-- line (a waiting writer keeps new readers out), fair or not
if holder == false and redis.call('EXISTS', queue) == 1 then
  if not pass_on(false) then redis.call('DEL', lock) end
  holder = holder_of()
end
if holder == READERS then
  -- readers at the head of the line come in first (a writer ahead of them left), up to a writer
  pass_on(true)
end
local reading = holder == READERS and redis.call('ZSCORE', lock, token)
if reading or holder == false or (holder == READERS and redis.call('EXISTS', queue) == 0) then
  add_reader(token, ttl)
  if waiter ~= '' then redis.call('ZREM', queue, waiter) end
  return {1, 0}
end
if waiter ~= '' then queue_up(waiter, ARGV[4]) end
if holder == READERS then return {0, math.min(holder_ms(holder), 1000)} end
return {0, holder_ms(holder)}
