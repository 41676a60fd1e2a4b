-- RLockIdempotency. KEYS: the record, its waiters. ARGV: token. Drops our claim so that a
-- retry runs again; 1 if it was ours.
-- include: claim-states.lua
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'state') ~= RUNNING then
  return 0
end
redis.call('DEL', KEYS[1])
-- include: wake-all.lua
return 1
