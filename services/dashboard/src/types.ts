export interface Progress {
  percent: number | null;
  message: string | null;
}

export interface Job {
  id: string;
  user_id?: number;
  type: string;
  payload?: Record<string, unknown>;
  status: string;
  priority?: string;
  progress?: Progress;
  result?: unknown;
  error?: string | null;
  attempts?: number;
  max_retries?: number;
  created_at?: string;
  queued_at?: string | null;
  started_at?: string | null;
  finished_at?: string | null;
  scheduled_for?: string | null;
  time_spent_seconds?: number;
  time_queued_seconds?: number;
  queue_position?: number | null;
  dispatches_ahead?: number | null;
  artifact?: { name: string; media_type: string; size: number; url: string } | null;
  /** When this row's times were last read from the server (ms since the epoch). */
  seen_at?: number;
  /** When a stream event last changed this row (ms since the epoch). */
  event_at?: number;
}

export interface Page<T> {
  items: T[];
  page: number;
  per_page: number;
  total: number;
  pages: number;
}

/** Data of a job.* event (see conveyor_core.streams). */
export interface JobEvent {
  job_id: string;
  job_type: string;
  status: string;
  priority: string;
  attempts: number;
  progress: Progress;
  error: string | null;
  time_spent_seconds: number;
  scheduled_for: string | null;
  finished_at: string | null;
  at: string;
}

export interface Snapshot {
  jobs: Array<Partial<Job> & { id: string }>;
}

export const FINISHED = new Set(["completed", "failed", "canceled"]);
export const JOB_EVENT_TYPES = [
  "job.scheduled",
  "job.queued",
  "job.started",
  "job.progress",
  "job.completed",
  "job.failed",
  "job.canceled",
];
