import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { JobTimeline } from "./JobDetail";

const event = (id: string, type: string, attempts: number, error: string | null = null) => ({
  id, type, attempts, error, at: "2026-12-04T12:00:00+00:00", status: type.replace("job.", ""),
});

describe("JobTimeline", () => {
  it("lists the state changes in order with their attempt and error", () => {
    render(<JobTimeline timeline={{ complete: true, items: [
      event("1-0", "job.queued", 0), event("2-0", "job.started", 1), event("3-0", "job.failed", 1, "boom"),
    ] }} />);
    const items = within(screen.getByRole("list", { name: "Timeline of the job" })).getAllByRole("listitem");
    expect(items.map((item) => item.dataset.event)).toEqual(["job.queued", "job.started", "job.failed"]);
    expect(items[2]).toHaveTextContent("failed (attempt 1): boom");
    expect(screen.queryByText(/no longer kept/)).toBeNull();
  });

  it("says when older events were trimmed", () => {
    render(<JobTimeline timeline={{ complete: false, items: [event("9-0", "job.completed", 2)] }} />);
    expect(screen.getByText(/Older events of this job are no longer kept/)).toBeInTheDocument();
  });
});
