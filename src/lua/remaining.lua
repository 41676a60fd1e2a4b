-- KEYS: lock. ARGV: token. Our remaining ms (PTTL), or -2 when our token does not hold it.
if redis.pcall('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PTTL', KEYS[1])
end
return -2
