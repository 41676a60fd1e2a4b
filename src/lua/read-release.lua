-- KEYS: lock, queue, fence. ARGV: token. 1 when our token read the lock (its lease not ended)
-- and left it; the last reader to leave hands the lock to the line. Else 0.
local lock, queue, fence = KEYS[1], KEYS[2], KEYS[3]
-- include: queue.lua
local ends = redis.pcall('ZSCORE', lock, ARGV[1])
if type(ends) ~= 'string' then return 0 end
redis.call('ZREM', lock, ARGV[1])
local holder = holder_of()
if holder == READERS then
  readers_expire()
elseif not pass_on(false) then
  redis.call('DEL', lock)
end
if tonumber(ends) <= now_ms() then return 0 end
return 1
