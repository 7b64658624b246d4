-- Put a user into the active set (if not there), at no less than the global virtual time,
-- so an idle user cannot bank credit while away. Records the user's tier when given.
-- Every call also drops wake tokens in the wake list, on which idle workers block: one per
-- job pushed (ARGV[4], default 1), so a batch wakes as many idle workers as it has jobs.
-- The list is bounded: a token nobody takes costs a later idle worker one empty pick.
-- ARGV: prefix, user_id, tier ('' keeps the stored one), jobs pushed
local WAKE_TOKENS = 64  -- most tokens the wake list holds
local P, uid, tier = ARGV[1], ARGV[2], ARGV[3]
local wakes = math.min(math.max(tonumber(ARGV[4] or '1') or 1, 1), WAKE_TOKENS)
local ukey = P .. 'user:' .. uid
if tier ~= '' then redis.call('HSET', ukey, 'tier', tier) end
local tokens = {}
for i = 1, wakes do tokens[i] = '1' end
redis.call('RPUSH', P .. 'wake', unpack(tokens))
redis.call('LTRIM', P .. 'wake', -WAKE_TOKENS, -1)
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
