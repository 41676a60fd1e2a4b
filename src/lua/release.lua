-- KEYS: lock, queue, fence. ARGV: token. 1 when our token held the lock and it was freed —
-- and handed to the line, if anyone waits — else 0. (pcall: readers' sorted set is not ours.)
local lock, queue, fence = KEYS[1], KEYS[2], KEYS[3]
if redis.pcall('GET', lock) ~= ARGV[1] then return 0 end
-- include: queue.lua
-- with nobody in line, pass_on() reads an empty queue: three commands in all
if not pass_on(false) then redis.call('DEL', lock) end
return 1
