-- Helpers every dispatcher script starts with (scripts.py puts this file in front of each).
local function num(x) return string.format('%.17g', x) end  -- full precision, not %.14g
-- rate = weight / estimated job cost; 'rates' sums the active users' rates (see pick.lua).
local function refresh_rate(P, ukey, default_cost)
  local old = redis.call('HGET', ukey, 'rate')
  if not old then return end
  local weight = tonumber(redis.call('HGET', P .. 'weights',
                                     redis.call('HGET', ukey, 'tier') or 'free') or '1')
  local cost = tonumber(redis.call('HGET', ukey, 'cost') or redis.call('GET', P .. 'cost')
                        or default_cost)
  local rate = weight / cost
  redis.call('HSET', ukey, 'rate', num(rate))
  redis.call('INCRBYFLOAT', P .. 'rates', num(rate - tonumber(old)))
end
