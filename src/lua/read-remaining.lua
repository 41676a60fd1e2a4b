-- KEYS: lock. ARGV: token. Our remaining ms as a reader, or -2 when our token does not read it.
local ends = redis.pcall('ZSCORE', KEYS[1], ARGV[1])
if type(ends) ~= 'string' then return -2 end
local t = redis.call('TIME')
local left = tonumber(ends) - (t[1] * 1000 + math.floor(t[2] / 1000))
if left <= 0 then return -2 end
return left
