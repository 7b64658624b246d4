import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Stats, ThroughputChart, WaitChart } from "./Charts";

function stats(): Stats {
  const series = Array.from({ length: 60 }, (_, index) => ({
    minute: new Date(Date.UTC(2026, 0, 1, 12, index)).toISOString(),
    completed: index === 59 ? 4 : 0,
    failed: index === 58 ? 1 : 0,
    started: index === 59 ? 4 : 0,
    wait_p50_seconds: index === 59 ? 1.5 : null,
    wait_p95_seconds: index === 59 ? 3 : null,
  }));
  return { minutes: 60, completed: 4, failed: 1, wait_p50_seconds: 1.5, wait_p95_seconds: 3, series };
}

describe("charts", () => {
  it("names the throughput chart with its totals and draws a bar per finished minute", () => {
    render(<ThroughputChart stats={stats()} />);
    const chart = screen.getByRole("img", { name: /Throughput/ });
    expect(chart).toHaveAccessibleName("Throughput over the last 60 minutes: 4 completed, 1 failed");
    const tall = [...chart.querySelectorAll("rect")].filter((rect) => Number(rect.getAttribute("height")) > 0);
    expect(tall).toHaveLength(2);
  });

  it("names the wait chart with its percentiles", () => {
    render(<WaitChart stats={stats()} />);
    expect(screen.getByRole("img", { name: /Wait time/ })).toHaveAccessibleName(
      "Wait time over the last 60 minutes: p50 1.5 s, p95 3.0 s",
    );
  });
});
