-- Put a user into the active set (if not there), at no less than the global virtual time,
-- so an idle user cannot bank credit while away. Records the user's tier when given.
-- ARGV: prefix, user_id, tier ('' keeps the stored one)
local P, uid, tier = ARGV[1], ARGV[2], ARGV[3]
local ukey = P .. 'user:' .. uid
if tier ~= '' then redis.call('HSET', ukey, 'tier', tier) end
if redis.call('ZSCORE', P .. 'active', uid) then return 0 end
local pass = tonumber(redis.call('HGET', ukey, 'pass') or '0')
local vtime = tonumber(redis.call('GET', P .. 'vtime') or '0')
if pass < vtime then pass = vtime end
redis.call('ZADD', P .. 'active', pass, uid)
return 1
