import { useCallback, useEffect, useState } from "react";
import type { Session } from "./session";
import { ScheduleForm, ScheduleSpec } from "./ScheduleForm";
import { Job, Page } from "./types";

export interface Schedule {
  id: string;
  name: string;
  type: string;
  cron: string | null;
  timezone: string;
  interval_seconds: number | null;
  enabled: boolean;
  next_run_at: string | null;
  last_run_at: string | null;
  fires: number;
  misses: number;
}

const LAST_FIRES = 5;

/** "every 60 s" or "0 * * * * (Europe/Berlin)". */
export function rhythm(schedule: Schedule): string {
  if (schedule.interval_seconds) return `every ${schedule.interval_seconds} s`;
  return `${schedule.cron} (${schedule.timezone})`;
}

function when(moment: string | null): string {
  return moment ? new Date(moment).toLocaleString() : "—";
}

/** The signed-in user's schedules: create, enable or disable, run now, delete, last fires. */
export function Schedules({ session, onExpired }: { session: Session; onExpired: () => void }) {
  const [page, setPage] = useState<Page<Schedule> | null>(null);
  const [fires, setFires] = useState<Record<string, Job[]>>({});
  const [error, setError] = useState("");

  const report = useCallback((caught: unknown) => {
    if (caught instanceof Error && caught.name === "SessionExpired") onExpired();
    else setError(caught instanceof Error ? caught.message : String(caught));
  }, [onExpired]);
  const fetchPage = useCallback(() => session.call<Page<Schedule>>("/api/schedules?per_page=100"), [session]);
  useEffect(() => {
    let mounted = true;
    fetchPage().then((found) => mounted && setPage(found), (caught) => mounted && report(caught));
    return () => { mounted = false; };
  }, [fetchPage, report]);

  const guard = async (work: () => Promise<unknown>) => {
    setError("");
    try {
      await work();
    } catch (caught) {
      report(caught);
    }
  };
  const load = async () => setPage(await fetchPage());

  const create = async (spec: ScheduleSpec) => {
    await session.call("/api/schedules", { method: "POST", body: JSON.stringify(spec) });
    await load();
  };
  const change = (schedule: Schedule, init: RequestInit, path = "") =>
    guard(async () => {
      await session.call(`/api/schedules/${schedule.id}${path}`, init);
      await load();
    });
  const showFires = (schedule: Schedule) =>
    guard(async () => {
      const query = `schedule_id=${schedule.id}&per_page=${LAST_FIRES}&sort=-created_at`;
      const jobs = await session.call<Page<Job>>(`/api/jobs?${query}`);
      setFires((shown) => ({ ...shown, [schedule.id]: jobs.items }));
    });

  return (
    <>
      <ScheduleForm create={create} />
      <section className="card" aria-labelledby="schedules-title">
        <h2 id="schedules-title">My schedules</h2>
        {error && <p className="error" role="alert">{error}</p>}
        <div className="table-wrap">
          <table aria-label="Schedules">
            <thead>
              <tr>
                <th scope="col">Name</th><th scope="col">Job type</th><th scope="col">Rhythm</th>
                <th scope="col">Next run</th><th scope="col">Last run</th><th scope="col">Fires</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {page?.items.length === 0 && <tr><td colSpan={7}>No schedules yet.</td></tr>}
              {page?.items.map((schedule) => (
                <tr key={schedule.id} data-schedule-id={schedule.id} data-enabled={String(schedule.enabled)}>
                  <td>{schedule.name}</td>
                  <td>{schedule.type}</td>
                  <td className="mono">{rhythm(schedule)}</td>
                  <td>{schedule.enabled ? when(schedule.next_run_at) : "disabled"}</td>
                  <td>{when(schedule.last_run_at)}</td>
                  <td>{schedule.fires}</td>
                  <td className="actions">
                    <input type="checkbox" checked={schedule.enabled} aria-label={`Enabled: ${schedule.name}`}
                      onChange={() => change(schedule, { method: "PATCH", body: JSON.stringify({ enabled: !schedule.enabled }) })} />
                    <button type="button" aria-label={`Run now: ${schedule.name}`}
                      onClick={() => change(schedule, { method: "POST" }, "/run")}>Run now</button>
                    <button type="button" aria-label={`Last fires of ${schedule.name}`}
                      onClick={() => showFires(schedule)}>Last fires</button>
                    <button type="button" className="secondary" aria-label={`Delete schedule ${schedule.name}`}
                      onClick={() => change(schedule, { method: "DELETE" })}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {page?.items.filter((schedule) => fires[schedule.id]).map((schedule) => (
          <section key={schedule.id} aria-label={`Last fires of ${schedule.name}`}>
            <h3>Last fires of {schedule.name}</h3>
            {fires[schedule.id].length === 0 ? <p>None yet.</p> : (
              <ul>
                {fires[schedule.id].map((job) => (
                  <li key={job.id} data-job-id={job.id}>
                    <span className="mono">{job.id.slice(0, 8)}</span> {when(job.created_at ?? null)}:{" "}
                    <span className={`status status-${job.status}`}>{job.status}</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        ))}
      </section>
    </>
  );
}
