import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FairnessChart, TierTable, Tiers } from "./Fairness";

const tiers: Tiers = {
  minutes: 60,
  worker_seconds: 40,
  busiest_users: [],
  tiers: [
    { tier: "free", weight: 1, users_with_work: 1, worker_seconds: 10, delivered_share: 0.25,
      promised_share: 0.25, backlog: 2, totals: { completed: 3, failed: 1, running: 0 } },
    { tier: "pro", weight: 3, users_with_work: 1, worker_seconds: 30, delivered_share: 0.75,
      promised_share: 0.75, backlog: 0, totals: { completed: 9 } },
  ],
};

describe("fairness", () => {
  it("names the chart with each tier's delivered and promised share", () => {
    render(<FairnessChart tiers={tiers} />);
    expect(screen.getByRole("img", { name: /^Worker time per tier/ })).toHaveAccessibleName(
      "Worker time per tier, last 60 minutes: free delivered 25% of promised 25%, pro delivered 75% of promised 75%",
    );
  });

  it("lists each tier's backlog and totals", () => {
    render(<TierTable tiers={tiers} />);
    const free = screen.getByRole("table", { name: "Jobs per tier" }).querySelector('tr[data-tier="free"]');
    expect(within(free as HTMLElement).getAllByRole("cell").map((cell) => cell.textContent)).toEqual(
      ["free", "1", "2", "0", "3", "1", "25%", "25%"],
    );
  });
});
