-- Charge the user the worker time the job really took: the pick charged an estimate, so the
-- difference is settled now, and the user's estimate moves toward what their jobs cost.
-- ARGV: prefix, job_id, elapsed seconds, smoothing (0..1)
local function num(x) return string.format('%.17g', x) end  -- full precision, not %.14g
local P, job_id, elapsed, alpha = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local claim = P .. 'claim:' .. job_id
local uid = redis.call('HGET', claim, 'user')
if not uid then return 0 end
local charged = tonumber(redis.call('HGET', claim, 'cost'))
local ukey = P .. 'user:' .. uid
local tier = redis.call('HGET', ukey, 'tier') or 'free'
local weight = tonumber(redis.call('HGET', P .. 'weights', tier) or '1')
local delta = (elapsed - charged) / weight
local pass = tonumber(redis.call('HGET', ukey, 'pass') or '0') + delta
redis.call('HSET', ukey, 'pass', num(pass))
-- Moving estimates of this user's job cost and of all users' (a first finish sets them).
local function smooth(old)
  if not old then return elapsed end
  local value = tonumber(old)
  return value + alpha * (elapsed - value)
end
redis.call('HSET', ukey, 'cost', num(smooth(redis.call('HGET', ukey, 'cost'))))
redis.call('SET', P .. 'cost', num(smooth(redis.call('GET', P .. 'cost'))))
if redis.call('ZSCORE', P .. 'active', uid) then
  redis.call('ZADD', P .. 'active', num(pass), uid)
end
redis.call('HINCRBYFLOAT', ukey, 'used', num(elapsed))
redis.call('DEL', claim)
redis.call('ZREM', P .. 'claimed', job_id)
return 1
