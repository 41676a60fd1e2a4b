-- Redlock. KEYS: the lock, its waiters. ARGV: token. 1 when our token held the lock here and
-- it was freed (and its waiters woken), else 0.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
-- include: wake-all.lua
return 1
