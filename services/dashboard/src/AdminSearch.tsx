import { FormEvent, useState } from "react";
import type { Session } from "./session";
import { JOB_TYPES, STATUSES } from "./SubmitForm";
import { Job, Page } from "./types";
import { useUsernames, who } from "./usernames";

/** Find any user's jobs: one by id, or a page filtered by user, status and type. */
export function AdminSearch({ session, onOpen }: { session: Session; onOpen: (jobId: string) => void }) {
  const [jobId, setJobId] = useState("");
  const [userId, setUserId] = useState("");
  const [status, setStatus] = useState("");
  const [type, setType] = useState("");
  const [found, setFound] = useState<Page<Job> | null>(null);
  const [error, setError] = useState("");
  const names = useUsernames(session, found?.items.flatMap((job) => (job.user_id ? [job.user_id] : [])) ?? []);

  const search = async (event: FormEvent) => {
    event.preventDefault();
    setError("");
    try {
      if (jobId.trim()) {
        const job = await session.call<Job>(`/api/jobs/${encodeURIComponent(jobId.trim())}`);
        setFound({ items: [job], page: 1, per_page: 1, total: 1, pages: 1 });
        return;
      }
      const query = new URLSearchParams({ per_page: "50" });
      if (userId) query.set("user_id", userId);
      if (status) query.set("status", status);
      if (type) query.set("type", type);
      setFound(await session.call<Page<Job>>(`/api/jobs?${query}`));
    } catch (caught) {
      setFound(null);
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };

  return (
    <section aria-labelledby="search-title">
      <h3 id="search-title">Find jobs (all users)</h3>
      <form className="row" onSubmit={search} role="search" aria-label="Find jobs">
        <label>
          Find: job id
          <input className="mono" value={jobId} onChange={(e) => setJobId(e.target.value)} />
        </label>
        <label>
          Find: user id
          <input type="number" min={1} value={userId} onChange={(e) => setUserId(e.target.value)} />
        </label>
        <label>
          Find: status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">any</option>
            {STATUSES.map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </label>
        <label>
          Find: job type
          <select value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">any</option>
            {JOB_TYPES.map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </label>
        <button type="submit">Find jobs</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {found && (
        <div className="table-wrap">
          <table aria-label="Found jobs">
            <caption className="muted">{found.total} jobs match{found.total > found.items.length ? `; the newest ${found.items.length} shown` : ""}</caption>
            <thead>
              <tr><th scope="col">Job</th><th scope="col">User</th><th scope="col">Type</th>
                <th scope="col">Status</th><th scope="col">Created</th></tr>
            </thead>
            <tbody>
              {found.items.map((job) => (
                <tr key={job.id} data-job-id={job.id} data-status={job.status}>
                  <td>
                    <button type="button" className="link mono" aria-label={`Details of found job ${job.id}`}
                      onClick={() => onOpen(job.id)}>{job.id.slice(0, 8)}</button>
                  </td>
                  <td>{who(names, job.user_id)}</td><td>{job.type}</td><td>{job.status}</td><td>{job.created_at}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
