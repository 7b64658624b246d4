import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { JobsTable } from "./JobsTable";
import { Job, JobEvent } from "./types";
import { applyEvent } from "./useJobs";

const running: Job = { id: "aaaa1111", type: "timed", status: "running", progress: { percent: 40, message: null }, time_spent_seconds: 1.2 };
const queued: Job = { id: "bbbb2222", type: "email", status: "queued", queue_position: 3, dispatches_ahead: 2 };
const failed: Job = { id: "cccc3333", type: "export", status: "failed", error: "boom" };

function renderTable(jobs: Job[]) {
  const handlers = { onCancel: vi.fn(), onRetry: vi.fn(), onDelete: vi.fn(), onOpen: vi.fn() };
  const view = render(<JobsTable jobs={jobs} {...handlers} />);
  return { ...handlers, view };
}

function row(id: string): HTMLElement {
  const found = screen.getByRole("table", { name: "Jobs" }).querySelector(`tr[data-job-id="${id}"]`);
  if (!found) throw new Error(`no row for ${id}`);
  return found as HTMLElement;
}

afterEach(() => vi.useRealTimers());

describe("JobsTable", () => {
  it("shows each job's status word in its row", () => {
    renderTable([running, queued, failed]);
    expect(within(row("aaaa1111")).getByText("running")).toBeInTheDocument();
    expect(within(row("bbbb2222")).getByText("queued")).toBeInTheDocument();
    expect(within(row("cccc3333")).getByText("failed")).toBeInTheDocument();
  });

  it("gives a running job a progressbar with its percent", () => {
    renderTable([running, queued]);
    expect(within(row("aaaa1111")).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "40");
    expect(within(row("bbbb2222")).queryByRole("progressbar")).toBeNull();
  });

  it("shows a queued job's place and the dispatches ahead", () => {
    renderTable([queued]);
    expect(within(row("bbbb2222")).getByText("#3 (2 ahead)")).toBeInTheDocument();
  });

  it("offers Cancel on live jobs and Retry on failed ones", async () => {
    const { onCancel, onRetry } = renderTable([running, failed]);
    expect(within(row("aaaa1111")).queryByRole("button", { name: "Retry" })).toBeNull();
    expect(within(row("cccc3333")).queryByRole("button", { name: "Cancel" })).toBeNull();
    const user = userEvent.setup();
    await user.click(within(row("aaaa1111")).getByRole("button", { name: "Cancel" }));
    await user.click(within(row("cccc3333")).getByRole("button", { name: "Retry" }));
    expect(onCancel).toHaveBeenCalledWith(running);
    expect(onRetry).toHaveBeenCalledWith(failed);
  });

  it("moves a row's bar and status as events arrive", () => {
    const event = (status: string, percent: number): JobEvent => ({
      job_id: "aaaa1111", job_type: "timed", status, priority: "normal", attempts: 1,
      progress: { percent, message: null }, error: null, time_spent_seconds: 2,
      scheduled_for: null, finished_at: null, at: "",
    });
    const { view, ...handlers } = renderTable([running]);
    const moved = applyEvent(running, event("running", 75));
    view.rerender(<JobsTable jobs={[moved]} {...handlers} />);
    expect(within(row("aaaa1111")).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "75");
    view.rerender(<JobsTable jobs={[applyEvent(moved, event("completed", 100))]} {...handlers} />);
    expect(within(row("aaaa1111")).getByText("completed")).toBeInTheDocument();
    expect(within(row("aaaa1111")).queryByRole("progressbar")).toBeNull();
  });

  it("ticks a queued job's time queued and a running job's time running each second", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const seen = Date.now();
    renderTable([{ ...queued, time_queued_seconds: 2, seen_at: seen }, { ...running, time_queued_seconds: 0.5, seen_at: seen }]);
    const cells = (id: string) => within(row(id)).getAllByRole("cell").map((cell) => cell.textContent);
    expect(cells("bbbb2222").slice(4, 6)).toEqual(["2.0s", ""]);
    expect(cells("aaaa1111").slice(4, 6)).toEqual(["0.5s", "1.2s"]);
    act(() => vi.advanceTimersByTime(3000));
    expect(cells("bbbb2222").slice(4, 6)).toEqual(["5.0s", ""]);
    expect(cells("aaaa1111").slice(4, 6)).toEqual(["0.5s", "4.2s"]);
  });
});
