import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { Tokens } from "./api";
import { Admin } from "./Admin";
import { AuthForms, SignInForm } from "./AuthForms";
import { JobDetail } from "./JobDetail";
import { JobsTable } from "./JobsTable";
import { Schedules } from "./Schedules";
import { Session, claims } from "./session";
import { JOB_TYPES, STATUSES, SubmitForm, Submission } from "./SubmitForm";
import { Job } from "./types";
import { Filters, useJobs } from "./useJobs";

export function App({ session = defaultSession() }: { session?: Session }) {
  const tokens = useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.current,
  );
  // Set once a signed-in session has been lost: the dashboard stays mounted under the sign-in
  // dialog, so whatever the user was typing is still there once they sign in again.
  const [expired, setExpired] = useState(false);
  const [signedInOnce, setSignedInOnce] = useState(Boolean(tokens));

  const onSignedIn = (fresh: Tokens) => {
    session.set(fresh);
    setExpired(false);
    setSignedInOnce(true);
  };
  const onExpired = useCallback(() => {
    session.set(null);
    setExpired(true);
  }, [session]);

  if (!signedInOnce) return <AuthForms onSignedIn={onSignedIn} />;
  // Once signed in, the dashboard stays mounted until the user signs out: a lost session
  // only covers it with the sign-in dialog.
  const lost = expired || !tokens;
  return (
    <>
      {lost && (
        <div className="overlay">
          <div role="dialog" aria-modal="true" aria-labelledby="sign-in-title" className="dialog">
            <p className="notice" role="alert">Your session ended: sign in again to carry on.</p>
            <SignInForm onSignedIn={onSignedIn} />
          </div>
        </div>
      )}
      <Dashboard session={session} tokens={tokens} onExpired={onExpired}
        onSignOut={() => { setSignedInOnce(false); void session.logout(); }} hidden={lost} />
    </>
  );
}

const FULL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let shared: Session | null = null;
function defaultSession(): Session {
  shared ??= new Session();
  return shared;
}

interface DashboardProps {
  session: Session;
  tokens: Tokens | null;
  onExpired: () => void;
  onSignOut: () => void;
  hidden: boolean;
}

function Dashboard({ session, tokens, onExpired, onSignOut, hidden }: DashboardProps) {
  const who = useMemo(() => (tokens ? claims(tokens.access_token) : {}), [tokens]);
  const [view, setView] = useState<"jobs" | "schedules" | "admin">("jobs");
  const [filters, setFilters] = useState<Filters>({ status: "", type: "", page: 1 });
  const [search, setSearch] = useState("");
  const [openId, setOpenId] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const [actionError, setActionError] = useState("");
  const announce = useCallback((message: string) => setAnnouncement(message), []);
  // Renew a minute before the access token expires, even when the page makes no call.
  useEffect(() => {
    if (!tokens) return;
    const due = Math.max(0, tokens.expires_at - Date.now() - 60_000);
    const timer = window.setTimeout(() => session.renew().catch(onExpired), due);
    return () => window.clearTimeout(timer);
  }, [session, tokens, onExpired]);
  const { page, error, connected, reload } = useJobs(session, filters, announce, onExpired, !hidden);

  const act = async (work: () => Promise<unknown>) => {
    setActionError("");
    try {
      await work();
      await reload();
    } catch (caught) {
      if (caught instanceof Error && caught.name === "SessionExpired") onExpired();
      else setActionError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  const submit = async (submission: Submission) => {
    try {
      await session.call("/api/jobs", { method: "POST", body: JSON.stringify(submission) });
    } catch (caught) {
      if (caught instanceof Error && caught.name === "SessionExpired") onExpired();
      throw caught;
    }
    await reload();
  };
  const post = (job: Job, action: string) => act(() => session.call(`/api/jobs/${job.id}/${action}`, { method: "POST" }));
  const remove = (job: Job) => act(() => session.call(`/api/jobs/${job.id}`, { method: "DELETE" }));

  const jobs = (page?.items ?? []).filter((job) => !search || job.id.startsWith(search.trim()));
  const live = openId ? page?.items.find((job) => job.id === openId) : undefined;

  return (
    <div className="app" aria-hidden={hidden || undefined}>
      <header>
        <strong>Conveyor</strong>
        <nav aria-label="Views">
          <button type="button" aria-pressed={view === "jobs"} onClick={() => setView("jobs")}>My jobs</button>
          <button type="button" aria-pressed={view === "schedules"} onClick={() => setView("schedules")}>My schedules</button>
          {who.role === "admin" && (
            <button type="button" aria-pressed={view === "admin"} onClick={() => setView("admin")}>Admin overview</button>
          )}
        </nav>
        <span className="who">{who.tier ? `${who.tier} tier` : ""}</span>
        <button type="button" className="secondary" onClick={onSignOut}>Sign out</button>
      </header>
      <div role="status" aria-live="polite" className="live">{announcement}</div>
      <main>
        {view === "admin" && <Admin session={session} />}
        {view === "schedules" && <Schedules session={session} onExpired={onExpired} />}
        {view === "jobs" && (
          <>
            <SubmitForm submit={submit} />
            <section className="card" aria-labelledby="jobs-title">
              <div className="row spread">
                <h2 id="jobs-title">My jobs</h2>
                <span className={connected ? "ok" : "muted"}>{connected ? "Live" : "Connecting…"}</span>
              </div>
              <div className="row">
                <label>
                  Filter by status
                  <select value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.target.value, page: 1 })}>
                    <option value="">all</option>
                    {STATUSES.map((name) => <option key={name} value={name}>{name}</option>)}
                  </select>
                </label>
                <label>
                  Filter by type
                  <select value={filters.type} onChange={(e) => setFilters({ ...filters, type: e.target.value, page: 1 })}>
                    <option value="">all</option>
                    {JOB_TYPES.map((name) => <option key={name} value={name}>{name}</option>)}
                  </select>
                </label>
                <label>
                  Search by id
                  <input value={search} onChange={(e) => setSearch(e.target.value)} />
                </label>
              </div>
              {FULL_ID.test(search.trim()) && jobs.length === 0 && (
                <p>
                  Not on this page.{" "}
                  <button type="button" onClick={() => setOpenId(search.trim())}>Open job {search.trim()}</button>
                </p>
              )}
              {(error || actionError) && <p className="error" role="alert">{actionError || error}</p>}
              <JobsTable jobs={jobs} onCancel={(job) => post(job, "cancel")} onRetry={(job) => post(job, "retry")}
                onDelete={remove} onOpen={(job) => setOpenId(job.id)} />
              {page && (
                <nav className="row pages" aria-label="Pages">
                  <button type="button" disabled={filters.page <= 1}
                    onClick={() => setFilters({ ...filters, page: filters.page - 1 })}>Previous page</button>
                  <span>Page {page.page} of {Math.max(1, page.pages)} ({page.total} jobs)</span>
                  <button type="button" disabled={filters.page >= page.pages}
                    onClick={() => setFilters({ ...filters, page: filters.page + 1 })}>Next page</button>
                </nav>
              )}
            </section>
            {openId && <JobDetail session={session} jobId={openId} live={live} onClose={() => setOpenId(null)} />}
          </>
        )}
      </main>
    </div>
  );
}
