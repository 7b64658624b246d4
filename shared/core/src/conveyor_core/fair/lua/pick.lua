-- Stride scheduling: take the next job of the active user with the lowest virtual pass (the
-- worker time they have had, divided by their weight; the score in the active set). The
-- pop, the charge and the claim are one atomic step, whatever the number of workers.
-- A line this leaves empty leaves RQ's set of queues too (what `rq info` and rq-dashboard
-- list): an RQ enqueue adds it back in the transaction that pushes its next job.
-- ARGV: prefix, queue_key_prefix, now (seconds), default_cost, worker name, first queue
--       ('' for none), RQ's set of queues[, tier, weight, tier, weight, ...]
-- Returns {job_id, queue_name, user_id, charged_cost} or nil when nothing is queued. Nothing
-- queued also empties the wake list: its tokens were left by pushes whose jobs are gone, and
-- each would wake an idle worker for an empty pick (a batch left 64 such wake-ups per idle
-- worker at its end). A push after this leaves its own token, so no wake is lost.
local P, QP, now, default_cost, worker = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local QUEUES = ARGV[7]
-- The tier weights, from the worker's settings: written back if Redis lost them (a restart
-- without persistence), or every tier would weigh 1 until a worker restarted. A user rated
-- at weight 1 meanwhile gets the right rate at their next finish (finish.lua).
if #ARGV > 7 and redis.call('EXISTS', P .. 'weights') == 0 then
  redis.call('HSET', P .. 'weights', unpack(ARGV, 8))
end
-- A queue read before every user's line (the control queue, whose tiny jobs move others),
-- in the same round trip; its jobs belong to no user and are not charged.
local first = ARGV[6]
if first and first ~= '' then
  local job_id = redis.call('LPOP', QP .. first)
  if job_id then return {job_id, first, '', '0'} end
end
local priorities = {'high', 'normal', 'low'}
-- Bounded: an active user whose lines were emptied behind our back (cancel) is dropped and
-- the next one tried; 64 stale entries in a row is far beyond anything seen in practice.
-- Passes closer than a tenth of the smallest stride count as a tie (rounding makes equal
-- sums differ in the last bits), which goes to the user served least recently.
local function tie_width()
  local heaviest = 1
  for _, weight in ipairs(redis.call('HVALS', P .. 'weights')) do
    heaviest = math.max(heaviest, tonumber(weight))
  end
  return 0.1 * tonumber(redis.call('GET', P .. 'cost') or default_cost) / heaviest
end
local width = tie_width()
local function by_stride()
  local top = redis.call('ZRANGE', P .. 'active', 0, 0, 'WITHSCORES')
  if #top == 0 then return nil end
  local near = redis.call('ZRANGEBYSCORE', P .. 'active', top[2], num(tonumber(top[2]) + width),
                          'LIMIT', 0, 8)
  local uid, oldest = top[1], nil
  for _, candidate in ipairs(near) do
    local served = tonumber(redis.call('HGET', P .. 'user:' .. candidate, 'served') or '0')
    if oldest == nil or served < oldest then uid, oldest = candidate, served end
  end
  return uid
end
-- The starvation bound, enforced: the user served least recently (the 'waiting' set, by the
-- dispatch number of their last turn) goes now if waiting longer would exceed its fair gap
-- + 1 dispatches. Stride order keeps this from happening except when job-time jitter tips
-- rounding; the check makes it a guarantee.
local function starving()
  local oldest = redis.call('ZRANGE', P .. 'waiting', 0, 0, 'WITHSCORES')
  if #oldest == 0 then return nil end
  local user, served = oldest[1], tonumber(oldest[2])
  -- A user's share of dispatches is rate / (sum of rates), rate = weight / job cost; with
  -- equal job costs the bound is (sum of weights / weight) + 1.
  local rate = tonumber(redis.call('HGET', P .. 'user:' .. user, 'rate') or '0')
  if rate <= 0 then return nil end
  local total = tonumber(redis.call('GET', P .. 'rates') or '0')
  local next_turn = tonumber(redis.call('GET', P .. 'dispatches') or '0') + 1
  if next_turn - served >= math.floor(total / rate + 1e-9) + 1 then return user end
  return nil
end
local function leave(user)
  local ukey = P .. 'user:' .. user
  redis.call('ZREM', P .. 'active', user)
  redis.call('ZREM', P .. 'waiting', user)
  local rate = redis.call('HGET', ukey, 'rate')
  if rate then
    redis.call('INCRBYFLOAT', P .. 'rates', num(-tonumber(rate)))
    redis.call('HDEL', ukey, 'rate')
  end
  if redis.call('ZCARD', P .. 'active') == 0 then redis.call('SET', P .. 'rates', '0') end
end
for _ = 1, 64 do
  local uid = starving() or by_stride()
  if not uid then
    redis.call('DEL', P .. 'wake')
    return nil
  end
  local ukey = P .. 'user:' .. uid
  local pass = tonumber(redis.call('HGET', ukey, 'pass') or '0')
  local job_id, queue_name, left, empty = false, nil, 0, {}
  for _, priority in ipairs(priorities) do
    local name = 'user.' .. uid .. '.' .. priority
    local length = 0
    if not job_id then
      job_id = redis.call('LPOP', QP .. name)
      if job_id then queue_name = name end
    end
    if job_id then length = redis.call('LLEN', QP .. name) end
    left = left + length
    if length == 0 then empty[#empty + 1] = QP .. name end
  end
  if #empty > 0 then redis.call('SREM', QUEUES, unpack(empty)) end
  if job_id then
    local tier = redis.call('HGET', ukey, 'tier') or 'free'
    local weight = tonumber(redis.call('HGET', P .. 'weights', tier) or '1')
    -- A user whose jobs have never finished is charged what jobs cost on average lately.
    local own = redis.call('HGET', ukey, 'cost')
    local guess = own and '0' or '1'
    local cost = tonumber(own or redis.call('GET', P .. 'cost') or default_cost)
    redis.call('SET', P .. 'vtime', num(pass))
    local new_pass = pass + cost / weight
    redis.call('HSET', ukey, 'pass', num(new_pass))
    local turn = redis.call('INCR', P .. 'dispatches')
    if left > 0 then
      redis.call('ZADD', P .. 'active', num(new_pass), uid)
      redis.call('ZADD', P .. 'waiting', turn, uid)
    else
      leave(uid)
    end
    redis.call('ZADD', P .. 'claimed', num(now), job_id)
    redis.call('HSET', P .. 'claim:' .. job_id, 'user', uid, 'cost', num(cost),
               'queue', queue_name, 'worker', worker, 'at', num(now), 'guess', guess)
    redis.call('HSET', ukey, 'served', turn)
    -- The last 1,000 dispatches' owners, in order: the exact order any number of workers saw.
    redis.call('RPUSH', P .. 'recent', uid)
    redis.call('LTRIM', P .. 'recent', -1000, -1)
    return {job_id, queue_name, uid, num(cost)}
  end
  leave(uid)
end
return nil
