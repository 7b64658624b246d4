// BullMQ peer of Conveyor's benchmark suite, driven by bench/peers/bullmq_peer.py.
//
//   node bench.mjs fill N          add N no-op jobs (addBulk, 1,000 at a time)
//   node bench.mjs work C          run one worker with concurrency C until SIGTERM
//   node bench.mjs enqueue N       time N one-by-one adds, then N jobs through addBulk
//   node bench.mjs latency N       N sequential jobs: add, wait until finished (needs a worker)
//
// Redis comes from BENCH_REDIS_URL, the queue name from BENCH_QUEUE. Results are one JSON
// line on stdout; a worker prints READY once it is connected.
import { Job, Queue, QueueEvents, Worker } from 'bullmq';

const CHUNK = 1000;
const url = new URL(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0');
const connection = {
  host: url.hostname,
  port: Number(url.port || 6379),
  db: Number(url.pathname.slice(1) || 0),
  maxRetriesPerRequest: null,
};
const queueName = process.env.BENCH_QUEUE ?? 'bench';

const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const noops = (n) => Array.from({ length: n }, () => ({ name: 'noop', data: {} }));

async function addBulk(queue, n) {
  for (let done = 0; done < n; done += CHUNK) {
    await queue.addBulk(noops(Math.min(CHUNK, n - done)));
  }
}

async function fill(n) {
  const queue = new Queue(queueName, { connection });
  const start = process.hrtime.bigint();
  await addBulk(queue, n);
  const elapsed = seconds(start);
  await queue.close();
  return { jobs: n, seconds: elapsed };
}

async function enqueue(n) {
  const queue = new Queue(queueName, { connection });
  await queue.waitUntilReady();
  let start = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1) {
    await queue.add('noop', {});
  }
  const add = n / seconds(start);
  start = process.hrtime.bigint();
  await queue.addBulk(noops(CHUNK));
  const bulk1000 = seconds(start);
  start = process.hrtime.bigint();
  await addBulk(queue, n);
  const bulk = n / seconds(start);
  await queue.close();
  return { add_per_s: add, addbulk_per_s: bulk, addbulk_1000_s: bulk1000 };
}

async function latency(n) {
  const queue = new Queue(queueName, { connection });
  const events = new QueueEvents(queueName, { connection });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  const samples = [];
  for (let i = 0; i < n; i += 1) {
    const submitted = Date.now();
    const job = await queue.add('noop', {});
    await job.waitUntilFinished(events, 30000);
    const done = await Job.fromId(queue, job.id);
    samples.push([submitted, done.processedOn, done.finishedOn]);
  }
  await events.close();
  await queue.close();
  return { samples };
}

async function work(concurrency) {
  const worker = new Worker(queueName, async () => null, { connection, concurrency });
  await worker.waitUntilReady();
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    await worker.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log('READY');
}

const [mode, arg] = process.argv.slice(2);
const count = Number(arg ?? '0');
const modes = { fill, enqueue, latency };
if (mode === 'work') {
  await work(count || 1);
} else if (modes[mode] && count > 0) {
  console.log(JSON.stringify(await modes[mode](count)));
  process.exit(0);
} else {
  console.error('usage: node bench.mjs fill|work|enqueue|latency N');
  process.exit(2);
}
