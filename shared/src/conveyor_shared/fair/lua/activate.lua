-- Put a user into the active set (if not there), at no less than the global virtual time,
-- so an idle user cannot bank credit while away. Records the user's tier when given.
-- Every call also drops a token in the wake list, on which idle workers block (bounded).
-- ARGV: prefix, user_id, tier ('' keeps the stored one)
local P, uid, tier = ARGV[1], ARGV[2], ARGV[3]
local ukey = P .. 'user:' .. uid
if tier ~= '' then redis.call('HSET', ukey, 'tier', tier) end
redis.call('RPUSH', P .. 'wake', '1')
redis.call('LTRIM', P .. 'wake', -64, -1)
if redis.call('ZSCORE', P .. 'active', uid) then return 0 end
local pass = tonumber(redis.call('HGET', ukey, 'pass') or '0')
local vtime = tonumber(redis.call('GET', P .. 'vtime') or '0')
if pass < vtime then
  pass = vtime
  redis.call('HSET', ukey, 'pass', num(pass))
end
redis.call('ZADD', P .. 'active', num(pass), uid)
-- Its rate joins the active sum, and its wait for a first turn starts now (see pick.lua).
redis.call('HSET', ukey, 'rate', '0')
refresh_rate(P, ukey, 1)
redis.call('ZADD', P .. 'waiting', redis.call('GET', P .. 'dispatches') or 0, uid)
return 1
