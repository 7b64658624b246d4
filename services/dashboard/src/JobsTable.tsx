import { useEffect, useState } from "react";
import { FINISHED, Job } from "./types";

interface Props {
  jobs: Job[];
  onCancel: (job: Job) => void;
  onRetry: (job: Job) => void;
  onDelete: (job: Job) => void;
  onOpen: (job: Job) => void;
}

/** Seconds as "1m 05s" or "4.2s". */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m ${String(Math.floor(seconds % 60)).padStart(2, "0")}s`;
}

/** A job's live times: the server's figure plus what has passed since it was read. */
function liveSeconds(job: Job, now: number): { queued?: number; running?: number } {
  const since = job.seen_at ? Math.max(0, (now - job.seen_at) / 1000) : 0;
  if (job.status === "queued" || job.status === "scheduled")
    return { queued: (job.time_queued_seconds ?? 0) + since };
  if (job.status === "running")
    return { queued: job.time_queued_seconds, running: (job.time_spent_seconds ?? 0) + since };
  return { queued: job.time_queued_seconds, running: job.time_spent_seconds };
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [active]);
  return now;
}

export function JobsTable({ jobs, onCancel, onRetry, onDelete, onOpen }: Props) {
  const now = useNow(jobs.some((job) => !FINISHED.has(job.status)));
  return (
    <div className="table-wrap">
      <table aria-label="Jobs">
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Queued</th>
            <th scope="col">Running</th>
            <th scope="col">Place</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {jobs.length === 0 && (
            <tr>
              <td colSpan={8}>No jobs yet.</td>
            </tr>
          )}
          {jobs.map((job) => {
            const times = liveSeconds(job, now);
            const percent = Math.round(job.progress?.percent ?? 0);
            return (
              <tr key={job.id} data-job-id={job.id} data-status={job.status}>
                <td>
                  <button type="button" className="link mono" onClick={() => onOpen(job)}
                    aria-label={`Details of job ${job.id}`}>
                    {job.id.slice(0, 8)}
                  </button>
                </td>
                <td>{job.type}</td>
                <td><span className={`status status-${job.status}`}>{job.status}</span></td>
                <td>
                  {job.status === "running" ? (
                    <div className="bar" role="progressbar" aria-label={`Progress of job ${job.id.slice(0, 8)}`}
                      aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
                      <div className="fill" style={{ width: `${percent}%` }} />
                      <span>{percent}%</span>
                    </div>
                  ) : job.status === "completed" ? "100%" : ""}
                </td>
                <td>{duration(times.queued)}</td>
                <td>{duration(times.running)}</td>
                <td>
                  {job.status === "queued" && job.queue_position != null
                    ? `#${job.queue_position}${job.dispatches_ahead != null ? ` (${job.dispatches_ahead} ahead)` : ""}`
                    : ""}
                </td>
                <td className="actions">
                  {!FINISHED.has(job.status) && (
                    <button type="button" onClick={() => onCancel(job)}>Cancel</button>
                  )}
                  {(job.status === "failed" || job.status === "canceled") && (
                    <button type="button" onClick={() => onRetry(job)}>Retry</button>
                  )}
                  {FINISHED.has(job.status) && (
                    <button type="button" className="secondary" onClick={() => onDelete(job)}
                      aria-label={`Delete job ${job.id.slice(0, 8)}`}>Delete</button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
