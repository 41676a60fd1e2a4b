-- Redlock. KEYS: a fence counter; ARGV: a fencing token. Raises the counter to the token
-- (never lowers it): once a majority holds it, every later majority counts up from at least
-- there. Returns 1.
if tonumber(redis.call('GET', KEYS[1]) or 0) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
