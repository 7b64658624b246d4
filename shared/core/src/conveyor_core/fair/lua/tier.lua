-- Record a user's tier; an active user's dispatch rate follows at once (see pick.lua).
-- ARGV: prefix, user_id, tier, overwrite ('1', or '0': only if none is recorded)
local P, uid, tier, overwrite = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ukey = P .. 'user:' .. uid
if overwrite == '1' then
  redis.call('HSET', ukey, 'tier', tier)
elseif redis.call('HSETNX', ukey, 'tier', tier) == 0 then
  return 0
end
refresh_rate(P, ukey, 1)
return 1
