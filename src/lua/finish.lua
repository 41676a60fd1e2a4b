-- RLockIdempotency. KEYS: the record, its waiters. ARGV: token, state (done|failed), result,
-- retention ms. 1 stored; 0 the claim was lost.
-- include: claim-states.lua
local owner, state = unpack(redis.call('HMGET', KEYS[1], 'owner', 'state'))
if owner ~= ARGV[1] then return 0 end
-- a resend after a lost reply: stored already
if state == ARGV[2] then return 1 end
if state ~= RUNNING then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'result', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
-- include: wake-all.lua
return 1
