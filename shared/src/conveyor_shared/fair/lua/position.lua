-- Where a queued job stands: its place in its owner's own line, and an estimate of how many
-- dispatches (all users) come before it, by replaying the stride order up to that job.
-- ARGV: prefix, queue_key_prefix, user_id, job_id, default_cost, max_users
-- Returns {own_position, dispatches_ahead} (0-based) or nil if the job is not queued.
local P, QP, uid, job_id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local default_cost, max_users = tonumber(ARGV[5]), tonumber(ARGV[6])
local own = false
local before = 0
for _, priority in ipairs({'high', 'normal', 'low'}) do
  local key = QP .. 'user.' .. uid .. '.' .. priority
  if not own then
    local at = redis.call('LPOS', key, job_id)
    if at then own = before + at else before = before + redis.call('LLEN', key) end
  end
end
if not own then return nil end
local function stride(user)
  local ukey = P .. 'user:' .. user
  local tier = redis.call('HGET', ukey, 'tier') or 'free'
  local weight = tonumber(redis.call('HGET', P .. 'weights', tier) or '1')
  return tonumber(redis.call('HGET', ukey, 'cost') or default_cost) / weight
end
local my_pass = tonumber(redis.call('ZSCORE', P .. 'active', uid) or '0')
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
