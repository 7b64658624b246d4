-- Charge the user the worker time the job really took: the pick charged an estimate, so the
-- difference is settled now, and the user's estimate moves toward what their jobs cost.
-- ARGV: prefix, job_id, elapsed seconds, smoothing (0..1)
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
redis.call('HSET', ukey, 'pass', tostring(pass))
if redis.call('ZSCORE', P .. 'active', uid) then
  redis.call('ZINCRBY', P .. 'active', delta, uid)
end
local cost = tonumber(redis.call('HGET', ukey, 'cost') or tostring(charged))
redis.call('HSET', ukey, 'cost', tostring(cost + alpha * (elapsed - cost)))
redis.call('HINCRBYFLOAT', ukey, 'used', tostring(elapsed))
redis.call('DEL', claim)
redis.call('ZREM', P .. 'claimed', job_id)
return 1
