-- Stride scheduling: take the next job of the active user with the lowest virtual pass (the
-- worker time they have had, divided by their weight; the score in the active set). The
-- pop, the charge and the claim are one atomic step, whatever the number of workers.
-- ARGV: prefix, queue_key_prefix, now (seconds), default_cost, worker name
-- Returns {job_id, queue_name, user_id, charged_cost} or nil when nothing is queued.
local function num(x) return string.format('%.17g', x) end  -- full precision, not %.14g
local P, QP, now, default_cost, worker = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local priorities = {'high', 'normal', 'low'}
-- Bounded: an active user whose lines were emptied behind our back (cancel) is dropped and
-- the next one tried; 64 stale entries in a row is far beyond anything seen in practice.
-- Passes closer than half the smallest stride count as a tie, which goes to the user
-- served least recently: a few milliseconds of jitter in job times then cannot push a
-- low-weight user one turn further back.
local function tie_width()
  local heaviest = 1
  for _, weight in ipairs(redis.call('HVALS', P .. 'weights')) do
    heaviest = math.max(heaviest, tonumber(weight))
  end
  return 0.5 * tonumber(redis.call('GET', P .. 'cost') or default_cost) / heaviest
end
local width = tie_width()
for _ = 1, 64 do
  local top = redis.call('ZRANGE', P .. 'active', 0, 0, 'WITHSCORES')
  if #top == 0 then return nil end
  local near = redis.call('ZRANGEBYSCORE', P .. 'active', top[2], num(tonumber(top[2]) + width),
                          'LIMIT', 0, 8)
  local uid, oldest = top[1], nil
  for _, candidate in ipairs(near) do
    local served = tonumber(redis.call('HGET', P .. 'user:' .. candidate, 'served') or '0')
    if oldest == nil or served < oldest then uid, oldest = candidate, served end
  end
  local ukey = P .. 'user:' .. uid
  local pass = tonumber(redis.call('HGET', ukey, 'pass') or '0')
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
    -- A user whose jobs have never finished is charged what jobs cost on average lately.
    local cost = tonumber(redis.call('HGET', ukey, 'cost') or redis.call('GET', P .. 'cost')
                          or default_cost)
    redis.call('SET', P .. 'vtime', num(pass))
    local new_pass = pass + cost / weight
    redis.call('HSET', ukey, 'pass', num(new_pass))
    if left > 0 then
      redis.call('ZADD', P .. 'active', num(new_pass), uid)
    else
      redis.call('ZREM', P .. 'active', uid)
    end
    redis.call('ZADD', P .. 'claimed', num(now), job_id)
    redis.call('HSET', P .. 'claim:' .. job_id, 'user', uid, 'cost', num(cost),
               'queue', queue_name, 'worker', worker, 'at', num(now))
    redis.call('HSET', ukey, 'served', redis.call('INCR', P .. 'dispatches'))
    -- The last 1,000 dispatches' owners, in order: the exact order any number of workers saw.
    redis.call('RPUSH', P .. 'recent', uid)
    redis.call('LTRIM', P .. 'recent', -1000, -1)
    return {job_id, queue_name, uid, num(cost)}
  end
  redis.call('ZREM', P .. 'active', uid)
end
return nil
