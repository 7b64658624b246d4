import { useCallback, useEffect, useState } from "react";
import { AdminSearch } from "./AdminSearch";
import { Stats, ThroughputChart, WaitChart } from "./Charts";
import { BusiestUsers, FairnessChart, TierTable, Tiers } from "./Fairness";
import { JobDetail } from "./JobDetail";
import { useUsernames } from "./usernames";
import type { Session } from "./session";
import { JOB_TYPES } from "./SubmitForm";

interface Worker {
  name: string;
  state: string;
  queues: string[];
  current_job: string | null;
  successful_jobs: number;
  failed_jobs: number;
}

interface Overview {
  statuses: Record<string, number>;
  queues: Record<string, Record<string, number>>;
  workers: Worker[];
  fair: Record<string, unknown>;
}

export function Admin({ session }: { session: Session }) {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [tiers, setTiers] = useState<Tiers | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [error, setError] = useState("");
  const names = useUsernames(session, tiers?.busiest_users.map((user) => user.user_id) ?? []);

  const load = useCallback(() => {
    session.call<Overview>("/api/queue").then(setOverview, (caught: Error) => setError(caught.message));
    session.call<Stats>("/api/admin/stats?minutes=60").then(setStats, (caught: Error) => setError(caught.message));
    session.call<Tiers>("/api/admin/tiers?minutes=60").then(setTiers, (caught: Error) => setError(caught.message));
  }, [session]);
  useEffect(load, [load]);

  return (
    <section className="card" aria-labelledby="admin-title">
      <h2 id="admin-title">Overview</h2>
      <p><a href="/admin/rq/">Open rq-dashboard</a></p>
      {error && <p className="error" role="alert">{error}</p>}
      {overview && (
        <>
          <table aria-label="Jobs per status">
            <thead><tr><th scope="col">Status</th><th scope="col">Jobs</th></tr></thead>
            <tbody>
              {Object.entries(overview.statuses).map(([status, total]) => (
                <tr key={status}><td>{status}</td><td>{total}</td></tr>
              ))}
            </tbody>
          </table>
          <StatusChart statuses={overview.statuses} />
          {stats && (
            <>
              <h3>Last hour</h3>
              <ThroughputChart stats={stats} />
              <WaitChart stats={stats} />
            </>
          )}
          {tiers && (
            <>
              <h3>Fairness by tier</h3>
              <FairnessChart tiers={tiers} />
              <TierTable tiers={tiers} />
              <BusiestUsers users={tiers.busiest_users} names={names} />
            </>
          )}
          <AdminSearch session={session} onOpen={setOpenId} />
          {openId && <JobDetail session={session} jobId={openId} onClose={() => setOpenId(null)} />}
          <BulkActions session={session} onDone={load} />
          <table aria-label="Backlog per queue">
            <thead>
              <tr><th scope="col">Queue</th><th scope="col">Queued</th><th scope="col">Running</th>
                <th scope="col">Scheduled</th><th scope="col">Failed</th></tr>
            </thead>
            <tbody>
              {Object.entries(overview.queues).map(([name, counts]) => (
                <tr key={name}><td>{name}</td><td>{counts.queued}</td><td>{counts.started}</td>
                  <td>{counts.scheduled}</td><td>{counts.failed}</td></tr>
              ))}
            </tbody>
          </table>
          <table aria-label="Workers">
            <thead>
              <tr><th scope="col">Worker</th><th scope="col">State</th><th scope="col">Current job</th>
                <th scope="col">Done</th><th scope="col">Failed</th></tr>
            </thead>
            <tbody>
              {overview.workers.map((worker) => (
                <tr key={worker.name}><td className="mono">{worker.name}</td><td>{worker.state}</td>
                  <td className="mono">{worker.current_job ?? "—"}</td><td>{worker.successful_jobs}</td>
                  <td>{worker.failed_jobs}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** Jobs per status as an inline SVG bar chart (no chart library, nothing from a CDN). */
export function StatusChart({ statuses }: { statuses: Record<string, number> }) {
  const entries = Object.entries(statuses);
  const max = Math.max(1, ...entries.map(([, total]) => total));
  const rowHeight = 24;
  const summary = entries.map(([status, total]) => `${status} ${total}`).join(", ");
  return (
    <figure>
      <svg role="img" aria-label={`Jobs per status: ${summary}`} viewBox={`0 0 320 ${entries.length * rowHeight}`}
        className="chart">
        {entries.map(([status, total], index) => (
          <g key={status} transform={`translate(0 ${index * rowHeight})`}>
            <text x="0" y="16" fontSize="12">{status}</text>
            <rect x="90" y="4" height="16" width={(200 * total) / max} className={`bar-${status}`} />
            <text x={96 + (200 * total) / max} y="16" fontSize="12">{total}</text>
          </g>
        ))}
      </svg>
      <figcaption>Jobs per status, all users</figcaption>
    </figure>
  );
}

/** Retry every failed job, or cancel every queued one, matching a type and/or a user. */
function BulkActions({ session, onDone }: { session: Session; onDone: () => void }) {
  const [type, setType] = useState("");
  const [userId, setUserId] = useState("");
  const [message, setMessage] = useState("");
  const [error, setError] = useState("");
  const run = async (action: "retry" | "cancel") => {
    setError("");
    setMessage("");
    const filter: Record<string, unknown> = {};
    if (type) filter.type = type;
    if (userId) filter.user_id = Number(userId);
    try {
      const body = await session.call<{ changed: number; more: boolean }>(`/api/admin/jobs/${action}`, {
        method: "POST",
        body: JSON.stringify(filter),
      });
      const verb = action === "retry" ? "Retried" : "Canceled";
      setMessage(`${verb} ${body.changed} jobs${body.more ? "; more match, run it again" : ""}.`);
      onDone();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <section aria-labelledby="bulk-title">
      <h3 id="bulk-title">Bulk actions</h3>
      <div className="row">
        <label>
          Bulk: job type
          <select value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">any</option>
            {JOB_TYPES.map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </label>
        <label>
          Bulk: user id
          <input type="number" min={1} value={userId} onChange={(e) => setUserId(e.target.value)} />
        </label>
        <button type="button" onClick={() => run("retry")}>Retry all failed</button>
        <button type="button" onClick={() => run("cancel")}>Cancel all queued</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {message && <p className="ok">{message}</p>}
    </section>
  );
}
