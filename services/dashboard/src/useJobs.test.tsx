import { act, renderHook, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Session } from "./session";
import { Filters, useJobs } from "./useJobs";

const JOB = { id: "aaaa1111", type: "timed", status: "running", progress: { percent: 10, message: null } };
const PAGE = { items: [JOB], page: 1, per_page: 20, total: 1, pages: 1 };
const FILTERS: Filters = { status: "", type: "", page: 1 };

/** The browser's EventSource, replaced so a test can deliver the stream's messages itself. */
class FakeSource {
  static opened: FakeSource[] = [];
  listeners = new Map<string, (message: MessageEvent) => void>();
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSource.opened.push(this);
  }
  addEventListener(name: string, listener: (message: MessageEvent) => void) {
    this.listeners.set(name, listener);
  }
  close() {}
  deliver(name: string, percent: number, status = "running") {
    const data = { job_id: JOB.id, job_type: "timed", status, priority: "normal", attempts: 1,
      progress: { percent, message: null }, error: null, time_spent_seconds: 1,
      scheduled_for: null, finished_at: null, at: "" };
    this.listeners.get(name)!(new MessageEvent(name, { data: JSON.stringify(data) }));
  }
}

/** useJobs signed in, with ``fetchMock`` as the network and FakeSource as the stream. */
function start(fetchMock: (url: string) => Promise<Response>) {
  vi.stubGlobal("fetch", fetchMock);
  vi.stubGlobal("EventSource", FakeSource);
  window.sessionStorage.clear();
  const session = new Session(window.sessionStorage);
  session.set({ access_token: "a", refresh_token: "r", expires_in: 900, expires_at: Date.now() + 600_000 });
  const announce = vi.fn();
  const onExpired = vi.fn();
  return { ...renderHook(() => useJobs(session, FILTERS, announce, onExpired)), announce };
}

afterEach(() => {
  vi.unstubAllGlobals();
  FakeSource.opened = [];
});

describe("useJobs", () => {
  it("folds a burst of events for a job on the page into its row without reloading the list", async () => {
    const fetchMock = vi.fn(async (url: string) =>
      new Response(JSON.stringify(url.startsWith("/api/jobs?") ? PAGE : { token: "t" }), { status: 200 }),
    );
    const { result, announce } = start(fetchMock);
    await waitFor(() => expect(result.current.page?.items).toHaveLength(1));
    await waitFor(() => expect(FakeSource.opened).toHaveLength(1));
    const source = FakeSource.opened[0];
    expect(source.url).toMatch(/^\/api\/events\?token=t/);
    // Several messages before React renders again (one act): each must still be known. The
    // async act also settles any list request they would start.
    await act(async () => {
      source.deliver("job.progress", 40);
      source.deliver("job.progress", 70);
      source.deliver("job.completed", 100, "completed");
    });
    expect(result.current.page?.items[0]).toMatchObject({ status: "completed", progress: { percent: 100 } });
    const lists = fetchMock.mock.calls.filter(([url]) => String(url).startsWith("/api/jobs?"));
    expect(lists).toHaveLength(1);
    expect(announce).toHaveBeenCalledWith("Job aaaa1111 (timed) completed.");
  });

  it("keeps an event's news over a page of jobs asked for before it arrived", async () => {
    let answer: ((response: Response) => void) | null = null;
    let lists = 0;
    const fetchMock = vi.fn((url: string) => {
      if (!url.startsWith("/api/jobs?")) return Promise.resolve(new Response(JSON.stringify({ token: "t" })));
      lists += 1;
      if (lists === 1) return Promise.resolve(new Response(JSON.stringify(PAGE)));
      return new Promise<Response>((resolve) => (answer = resolve));  // held until the event is in
    });
    const { result } = start(fetchMock);
    await waitFor(() => expect(FakeSource.opened).toHaveLength(1));
    await waitFor(() => expect(result.current.page?.items).toHaveLength(1));
    let reloaded: Promise<void> = Promise.resolve();
    act(() => {
      reloaded = result.current.reload();  // as after Cancel: the page is asked for again...
    });
    await waitFor(() => expect(answer).not.toBeNull());
    act(() => FakeSource.opened[0].deliver("job.canceled", 10, "canceled"));  // ...the job ends...
    await act(async () => {
      answer!(new Response(JSON.stringify(PAGE)));  // ...and the page read before that arrives
      await reloaded;
    });
    expect(result.current.page?.items[0].status).toBe("canceled");
  });
});
