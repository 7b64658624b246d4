// The original brief's submit stack (seed 004): Express + BullMQ + PostgreSQL, one Node
// process per core (node's cluster), driven by bench/peers/express_peer.py.
//
// POST /jobs validates a JSON body, inserts one row with `pg` and adds one BullMQ job,
// answering 201 with the id: what that brief's authors would ship (Prisma needs engine
// binaries from outside the registries, so the row goes through `pg` directly).
//
// Settings: BENCH_PORT, BENCH_REDIS_URL, BENCH_PG_URL, BENCH_QUEUE, BENCH_PROCESSES.
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import express from 'express';
import pg from 'pg';
import { Queue } from 'bullmq';

const TYPES = new Set(['timed', 'email', 'image', 'export']);
const PRIORITIES = new Set(['high', 'normal', 'low']);
const TABLE = `CREATE TABLE IF NOT EXISTS jobs (
  id uuid PRIMARY KEY,
  type text NOT NULL,
  payload jsonb NOT NULL,
  priority text NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
)`;

const port = Number(process.env.BENCH_PORT ?? 3000);
const processes = Number(process.env.BENCH_PROCESSES || availableParallelism());
const url = new URL(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0');
const connection = {
  host: url.hostname,
  port: Number(url.port || 6379),
  db: Number(url.pathname.slice(1) || 0),
};

// The same rules Conveyor applies to this body: a known type, an object payload, a
// duration in range for `timed`, a known priority.
function problems(body) {
  const errors = {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { _body: ['must be a JSON object'] };
  }
  if (!TYPES.has(body.type)) errors.type = ['must be one of timed, email, image, export'];
  const payload = body.payload;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    errors.payload = ['must be an object'];
  } else if (body.type === 'timed') {
    const seconds = payload.duration_seconds;
    if (typeof seconds !== 'number' || !(seconds >= 0 && seconds <= 3600)) {
      errors['payload.duration_seconds'] = ['must be a number from 0 to 3600'];
    }
  }
  if (body.priority !== undefined && !PRIORITIES.has(body.priority)) {
    errors.priority = ['must be one of high, normal, low'];
  }
  return Object.keys(errors).length ? errors : null;
}

async function serve() {
  const pool = new pg.Pool({ connectionString: process.env.BENCH_PG_URL, max: 8 });
  const queue = new Queue(process.env.BENCH_QUEUE ?? 'bench-express', { connection });
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.get('/healthz', (req, res) => res.json({ status: 'ok' }));
  app.post('/jobs', async (req, res) => {
    const errors = problems(req.body);
    if (errors) {
      res.status(422).json({ title: 'Unprocessable Entity', status: 422, errors });
      return;
    }
    const id = randomUUID();
    const priority = req.body.priority ?? 'normal';
    try {
      await pool.query(
        'INSERT INTO jobs (id, type, payload, priority, status) VALUES ($1, $2, $3, $4, $5)',
        [id, req.body.type, req.body.payload, priority, 'queued'],
      );
      await queue.add(req.body.type, { id }, { jobId: id });
    } catch (error) {
      res.status(503).json({ title: 'Service Unavailable', status: 503, detail: String(error) });
      return;
    }
    res.status(201).location(`/jobs/${id}`).json({ id, status: 'queued' });
  });
  app.listen(port, '127.0.0.1');
}

if (cluster.isPrimary) {
  const client = new pg.Client({ connectionString: process.env.BENCH_PG_URL });
  await client.connect();
  await client.query(TABLE);
  await client.end();
  for (let n = 0; n < processes; n += 1) cluster.fork();
  cluster.on('exit', (worker, code) => {
    console.error(`express worker ${worker.process.pid} exited with ${code}`);
  });
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker.kill();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  await serve();
}
