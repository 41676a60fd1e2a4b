-- RLockIdempotency. KEYS: the record. ARGV: token, lease ms. The watchdog's renewal of a
-- running claim: 1, or 0 when lost.
-- include: claim-states.lua
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'state') == RUNNING then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
