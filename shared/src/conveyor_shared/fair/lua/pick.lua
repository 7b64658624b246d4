-- Stride scheduling: take the next job of the active user with the lowest virtual pass.
-- The pop, the charge and the claim are one atomic step, whatever the number of workers.
-- ARGV: prefix, queue_key_prefix, now (seconds), default_cost, worker name
-- Returns {job_id, queue_name, user_id, charged_cost} or nil when nothing is queued.
local P, QP, now, default_cost, worker = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local priorities = {'high', 'normal', 'low'}
-- Bounded: an active user whose lines were emptied behind our back (cancel) is dropped and
-- the next one tried; 64 stale entries in a row is far beyond anything seen in practice.
for _ = 1, 64 do
  local top = redis.call('ZRANGE', P .. 'active', 0, 0, 'WITHSCORES')
  if #top == 0 then return nil end
  local uid, pass = top[1], tonumber(top[2])
  local ukey = P .. 'user:' .. uid
  local job_id, queue_name, left = false, nil, 0
  for _, priority in ipairs(priorities) do
    local name = 'user.' .. uid .. '.' .. priority
    if not job_id then
      job_id = redis.call('LPOP', QP .. name)
      if job_id then queue_name = name end
    end
    if job_id then left = left + redis.call('LLEN', QP .. name) end
  end
  if job_id then
    local tier = redis.call('HGET', ukey, 'tier') or 'free'
    local weight = tonumber(redis.call('HGET', P .. 'weights', tier) or '1')
    local cost = tonumber(redis.call('HGET', ukey, 'cost') or default_cost)
    redis.call('SET', P .. 'vtime', tostring(pass))
    local new_pass = pass + cost / weight
    redis.call('HSET', ukey, 'pass', tostring(new_pass))
    if left > 0 then
      redis.call('ZADD', P .. 'active', new_pass, uid)
    else
      redis.call('ZREM', P .. 'active', uid)
    end
    redis.call('ZADD', P .. 'claimed', now, job_id)
    redis.call('HSET', P .. 'claim:' .. job_id, 'user', uid, 'cost', tostring(cost),
               'queue', queue_name, 'worker', worker, 'at', tostring(now))
    redis.call('INCR', P .. 'dispatches')
    return {job_id, queue_name, uid, tostring(cost)}
  end
  redis.call('ZREM', P .. 'active', uid)
end
return nil
