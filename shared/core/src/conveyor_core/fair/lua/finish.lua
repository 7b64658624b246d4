-- A picked job ended: its worker time moves the user's cost estimate (a moving average of
-- their jobs' running times), which is what their next picks are charged. The pick's charge
-- itself stands: settling each job's exact time would carry every job's timing jitter into
-- the order of dispatch, while the average charges each user their jobs' mean worker time.
-- Only a charge that was a guess (the user had no estimate yet) is settled exactly.
-- ARGV: prefix, job_id, elapsed seconds, smoothing (0..1)
local P, job_id, elapsed, alpha = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local claim = P .. 'claim:' .. job_id
local uid = redis.call('HGET', claim, 'user')
if not uid then return 0 end
local ukey = P .. 'user:' .. uid
if redis.call('HGET', claim, 'guess') == '1' then
  local tier = redis.call('HGET', ukey, 'tier') or 'free'
  local weight = tonumber(redis.call('HGET', P .. 'weights', tier) or '1')
  local charged = tonumber(redis.call('HGET', claim, 'cost'))
  local pass = tonumber(redis.call('HGET', ukey, 'pass') or '0') + (elapsed - charged) / weight
  redis.call('HSET', ukey, 'pass', num(pass))
  if redis.call('ZSCORE', P .. 'active', uid) then
    redis.call('ZADD', P .. 'active', num(pass), uid)
  end
end
-- Moving estimates of this user's job cost and of all users' (a first finish sets them).
local function smooth(old)
  if not old then return elapsed end
  local value = tonumber(old)
  return value + alpha * (elapsed - value)
end
redis.call('HSET', ukey, 'cost', num(smooth(redis.call('HGET', ukey, 'cost'))))
redis.call('SET', P .. 'cost', num(smooth(redis.call('GET', P .. 'cost'))))
refresh_rate(P, ukey, elapsed)
redis.call('HINCRBYFLOAT', ukey, 'used', num(elapsed))
redis.call('DEL', claim)
redis.call('ZREM', P .. 'claimed', job_id)
return 1
