-- Where a queued job stands: its place in its owner's own line, and an estimate of how many
-- dispatches (all users) come before it, by replaying the stride order up to that job.
-- ARGV: prefix, queue_key_prefix, user_id, job_id, default_cost, max_users, priority
-- A job not in its owner's lines is placed as if pushed now at ``priority`` (a job accepted
-- but not yet pushed); with an empty ``priority`` it gets nil.
-- Returns {own_position, dispatches_ahead} (0-based) or nil if the job is not queued.
local P, QP, uid, job_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local default_cost, max_users, appended = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7] or ''
local own = false
local before = 0
for _, priority in ipairs({'high', 'normal', 'low'}) do
  local key = QP .. 'user.' .. uid .. '.' .. priority
  if not own then
    local at = redis.call('LPOS', key, job_id)
    if at then own = before + at else before = before + redis.call('LLEN', key) end
    if not at and priority == appended then own = before end
  end
end
if not own then return nil end
local function stride(user)
  local ukey = P .. 'user:' .. user
  local tier = redis.call('HGET', ukey, 'tier') or 'free'
  local weight = tonumber(redis.call('HGET', P .. 'weights', tier) or '1')
  local cost = redis.call('HGET', ukey, 'cost') or redis.call('GET', P .. 'cost') or default_cost
  return tonumber(cost) / weight
end
-- The owner's next job goes at its pass (ZSCORE), the k-th after it at pass + k * stride;
-- another user's jobs likewise from their own pass.
local my_pass = tonumber(redis.call('ZSCORE', P .. 'active', uid) or '-1')
if my_pass < 0 then  -- not active yet: it will enter at no less than the virtual time
  my_pass = math.max(tonumber(redis.call('HGET', P .. 'user:' .. uid, 'pass') or '0'),
                     tonumber(redis.call('GET', P .. 'vtime') or '0'))
end
local target = my_pass + own * stride(uid)
local ahead = own
local others = redis.call('ZRANGEBYSCORE', P .. 'active', '-inf', '(' .. target, 'WITHSCORES',
                          'LIMIT', 0, max_users)
for i = 1, #others, 2 do
  local other = others[i]
  if other ~= uid then
    local backlog = 0
    for _, priority in ipairs({'high', 'normal', 'low'}) do
      backlog = backlog + redis.call('LLEN', QP .. 'user.' .. other .. '.' .. priority)
    end
    local turns = math.ceil((target - tonumber(others[i + 1])) / stride(other))
    ahead = ahead + math.min(backlog, math.max(turns, 0))
  end
end
return {own, ahead}
