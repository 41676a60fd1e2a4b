-- KEYS: lock. ARGV: token, ttl. 1 when our token holds it and the lease was reset, else 0.
if redis.pcall('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
