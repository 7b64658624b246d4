// Inline SVG charts (no chart library, nothing from a CDN). Each chart carries a text
// summary of its figures (totals, percentiles) as its accessible name, for screen readers.

export interface Minute {
  minute: string;
  completed: number;
  failed: number;
  started: number;
  wait_p50_seconds: number | null;
  wait_p95_seconds: number | null;
}

export interface Stats {
  minutes: number;
  completed: number;
  failed: number;
  wait_p50_seconds: number | null;
  wait_p95_seconds: number | null;
  series: Minute[];
}

const WIDTH = 600;
const HEIGHT = 160;
const LEFT = 36;
const BOTTOM = 20;

function scale(max: number): (value: number) => number {
  const top = Math.max(1, max);
  return (value) => HEIGHT - BOTTOM - ((HEIGHT - BOTTOM - 8) * value) / top;
}

function Axis({ max, unit }: { max: number; unit: string }) {
  const y = scale(max);
  return (
    <g className="axis" fontSize="11">
      <line x1={LEFT} x2={WIDTH} y1={y(0)} y2={y(0)} />
      <text x={LEFT - 4} y={y(Math.max(1, max)) + 4} textAnchor="end">{`${Math.round(Math.max(1, max))}${unit}`}</text>
      <text x={LEFT - 4} y={y(0) + 4} textAnchor="end">0</text>
      <text x={LEFT} y={HEIGHT - 4}>−60 min</text>
      <text x={WIDTH} y={HEIGHT - 4} textAnchor="end">now</text>
    </g>
  );
}

/** Completed (green) and failed (red) jobs per minute as stacked bars. */
export function ThroughputChart({ stats }: { stats: Stats }) {
  const max = Math.max(0, ...stats.series.map((row) => row.completed + row.failed));
  const y = scale(max);
  const step = (WIDTH - LEFT) / Math.max(1, stats.series.length);
  const label = `Throughput over the last ${stats.minutes} minutes: ${stats.completed} completed, ${stats.failed} failed`;
  return (
    <figure>
      <svg role="img" aria-label={label} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} className="chart">
        <Axis max={max} unit="" />
        {stats.series.map((row, index) => {
          const x = LEFT + index * step + 1;
          const done = y(0) - y(row.completed);
          const failed = y(0) - y(row.failed);
          return (
            <g key={row.minute}>
              <rect x={x} width={Math.max(1, step - 2)} y={y(0) - done} height={done} className="bar-completed" />
              <rect x={x} width={Math.max(1, step - 2)} y={y(0) - done - failed} height={failed} className="bar-failed" />
            </g>
          );
        })}
      </svg>
      <figcaption>Jobs finished per minute: completed (green), failed (red)</figcaption>
    </figure>
  );
}

/** Wait time (queued → started) per minute: p50 and p95 lines. */
export function WaitChart({ stats }: { stats: Stats }) {
  const values = stats.series.flatMap((row) => [row.wait_p95_seconds ?? 0]);
  const max = Math.max(0, ...values);
  const y = scale(max);
  const step = (WIDTH - LEFT) / Math.max(1, stats.series.length);
  const line = (pick: (row: Minute) => number | null) =>
    stats.series
      .map((row, index) => ({ value: pick(row), x: LEFT + index * step + step / 2 }))
      .filter((point) => point.value !== null)
      .map((point) => `${point.x},${y(point.value as number)}`)
      .join(" ");
  const fmt = (value: number | null) => (value === null ? "none" : `${value.toFixed(1)} s`);
  const label = `Wait time over the last ${stats.minutes} minutes: p50 ${fmt(stats.wait_p50_seconds)}, p95 ${fmt(stats.wait_p95_seconds)}`;
  return (
    <figure>
      <svg role="img" aria-label={label} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} className="chart">
        <Axis max={max} unit="s" />
        <polyline points={line((row) => row.wait_p50_seconds)} className="line-p50" fill="none" />
        <polyline points={line((row) => row.wait_p95_seconds)} className="line-p95" fill="none" />
      </svg>
      <figcaption>Time queued before starting, per minute: p50 (blue), p95 (orange dashed)</figcaption>
    </figure>
  );
}
