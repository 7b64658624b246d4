-- Take empty RQ queues out of RQ's set of queues (what `rq info` and rq-dashboard list),
-- each only if it is still empty now: a queue that got a job since it was looked at stays.
-- ARGV: RQ's set of queues, queue key, queue key, ...
-- Returns how many queues were taken out.
local forgotten = 0
for i = 2, #ARGV do
  if redis.call('LLEN', ARGV[i]) == 0 then
    forgotten = forgotten + redis.call('SREM', ARGV[1], ARGV[i])
  end
end
return forgotten
