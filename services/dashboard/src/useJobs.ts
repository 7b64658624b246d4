// The user's jobs, one page at a time, kept current by /api/events (no polling): each event
// updates its row in place; an event for a job not on the page (submitted elsewhere) reloads it.

import { useCallback, useEffect, useRef, useState } from "react";
import { API_URL } from "./api";
import type { Session } from "./session";
import { FINISHED, JOB_EVENT_TYPES, Job, JobEvent, Page, Snapshot } from "./types";

export interface Filters {
  status: string;
  type: string;
  page: number;
}

export const PER_PAGE = 20;
const RECONNECT_MS = 2000;

/** Fold one job event into a row. */
export function applyEvent(job: Job, event: JobEvent, now = Date.now()): Job {
  const next: Job = {
    ...job,
    status: event.status,
    attempts: event.attempts,
    progress: event.progress ?? job.progress,
    error: event.error,
    finished_at: event.finished_at,
    scheduled_for: event.scheduled_for,
    time_spent_seconds: event.time_spent_seconds,
    seen_at: now,
    event_at: now,
  };
  if (event.status === "running" && job.status !== "running") next.time_queued_seconds = job.time_queued_seconds;
  if (event.status !== "queued") next.queue_position = null;
  if (event.status === "queued" && job.status !== "queued") next.time_queued_seconds = 0;
  return next;
}

export type Announce = (message: string) => void;

/** ``active`` is false while the session is lost: the stream closes, and reopens (and the
 * page reloads) once the user has signed in again. */
export function useJobs(
  session: Session,
  filters: Filters,
  announce: Announce,
  onExpired: () => void,
  active = true,
) {
  const [page, setPage] = useState<Page<Job> | null>(null);
  // The page as last set, read by the stream's handlers: a state updater may run only at the
  // next render, too late to tell whether an event's job is on the page.
  const pageRef = useRef<Page<Job> | null>(null);
  const show = useCallback((update: (current: Page<Job> | null) => Page<Job> | null) => {
    pageRef.current = update(pageRef.current);
    setPage(pageRef.current);
  }, []);
  const [error, setError] = useState("");
  const [connected, setConnected] = useState(false);
  const filtersRef = useRef(filters);
  useEffect(() => {
    filtersRef.current = filters;
  }, [filters]);

  const load = useCallback(async () => {
    const query = new URLSearchParams({ page: String(filters.page), per_page: String(PER_PAGE) });
    if (filters.status) query.set("status", filters.status);
    if (filters.type) query.set("type", filters.type);
    const asked = Date.now();
    try {
      const body = await session.call<Page<Job>>(`/api/jobs?${query}`);
      const now = Date.now();
      // A row an event changed after this page was asked for keeps the event's news: the page
      // may have been read before it (a job canceled while its list was in flight), and no
      // later event would set the row right again.
      show((current) => {
        const newer = new Map(
          (current?.items ?? []).filter((job) => (job.event_at ?? 0) >= asked).map((job) => [job.id, job]),
        );
        return { ...body, items: body.items.map((job) => newer.get(job.id) ?? { ...job, seen_at: now }) };
      });
      setError("");
    } catch (caught) {
      if (caught instanceof Error && caught.name === "SessionExpired") onExpired();
      else setError(caught instanceof Error ? caught.message : String(caught));
    }
  }, [session, filters.page, filters.status, filters.type, onExpired, show]);

  useEffect(() => {
    // load() sets state only after its request's await, never synchronously in this effect.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    if (active) void load();
  }, [load, active]);

  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  }, [load]);

  useEffect(() => {
    if (!active) return;
    let source: EventSource | null = null;
    let lastId = "";
    let timer: number | undefined;
    let stopped = false;

    const onJob = (message: MessageEvent) => {
      if (message.lastEventId) lastId = message.lastEventId;
      const event = JSON.parse(message.data) as JobEvent;
      if (event.status === "completed") announce(`Job ${event.job_id.slice(0, 8)} (${event.job_type}) completed.`);
      if (event.status === "failed") announce(`Job ${event.job_id.slice(0, 8)} (${event.job_type}) failed: ${event.error ?? ""}`);
      const known = Boolean(pageRef.current?.items.some((job) => job.id === event.job_id));
      if (known)
        show((current) => current && {
          ...current,
          items: current.items.map((job) => (job.id === event.job_id ? applyEvent(job, event) : job)),
        });
      const { status, type, page: number } = filtersRef.current;
      const fits = (!status || status === event.status) && (!type || type === event.job_type);
      // A job new to this page (submitted here or elsewhere) or one leaving the filter.
      if ((!known && fits && number === 1) || (known && !fits)) void loadRef.current();
    };

    const onSnapshot = (message: MessageEvent) => {
      const snapshot = JSON.parse(message.data) as Snapshot;
      const now = Date.now();
      const byId = new Map(snapshot.jobs.map((job) => [job.id, job]));
      show((current) =>
        current && {
          ...current,
          items: current.items.map((job) => {
            const live = byId.get(job.id);
            return live && !FINISHED.has(job.status) ? { ...job, ...live, seen_at: now } : job;
          }),
        },
      );
    };

    const open = async () => {
      if (stopped) return;
      try {
        const { token } = await session.call<{ token: string }>("/api/events/token", { method: "POST" });
        if (stopped) return;
        const query = new URLSearchParams({ token });
        if (lastId) query.set("last_event_id", lastId);
        source = new EventSource(`${API_URL}/api/events?${query}`);
        JOB_EVENT_TYPES.forEach((name) => source!.addEventListener(name, onJob as EventListener));
        source.addEventListener("snapshot", onSnapshot as EventListener);
        source.onopen = () => setConnected(true);
        // The stream ends at its deadline or on a network fault; a stream token is good for
        // one connection, so reconnect by hand with a fresh one, resuming after lastId.
        source.onerror = () => {
          source?.close();
          setConnected(false);
          timer = window.setTimeout(open, RECONNECT_MS);
        };
      } catch (caught) {
        if (caught instanceof Error && caught.name === "SessionExpired") onExpired();
        else timer = window.setTimeout(open, RECONNECT_MS);
      }
    };
    void open();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      source?.close();
    };
  }, [session, announce, onExpired, active, show]);

  return { page, error, connected, reload: load };
}
