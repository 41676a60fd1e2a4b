-- Wakes every waiter in KEYS[2] ("channel|token") at once and forgets them: used where the
-- woken all look again for themselves.
for _, waiter in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local channel, token = string.match(waiter, '^(.-)|(.*)$')
  if channel then redis.call('PUBLISH', channel, token .. '|0') end
end
redis.call('DEL', KEYS[2])
