// The fairness actually delivered: each tier's share of worker time over the last hour beside
// the share its weight promises (GET /api/admin/tiers), then per-tier totals and backlog.

import { who } from "./usernames";

export interface TierRow {
  tier: string;
  weight: number;
  users_with_work: number;
  worker_seconds: number;
  delivered_share: number | null;
  promised_share: number | null;
  backlog: number;
  totals: Record<string, number>;
}

export interface BusyUser {
  user_id: number;
  tier: string;
  worker_seconds: number;
  delivered_share: number | null;
  promised_share: number | null;
}

export interface Tiers {
  minutes: number;
  worker_seconds: number;
  tiers: TierRow[];
  busiest_users: BusyUser[];
}

export function percent(share: number | null): string {
  return share === null ? "—" : `${Math.round(share * 100)}%`;
}

const ROW = 44;
const LABEL = 90;
const SPAN = 400;

/** Paired bars per tier: delivered (solid) over promised (outlined). */
export function FairnessChart({ tiers }: { tiers: Tiers }) {
  const summary = tiers.tiers
    .map((row) => `${row.tier} delivered ${percent(row.delivered_share)} of promised ${percent(row.promised_share)}`)
    .join(", ");
  return (
    <figure>
      <svg role="img" aria-label={`Worker time per tier, last ${tiers.minutes} minutes: ${summary}`}
        viewBox={`0 0 ${LABEL + SPAN + 60} ${tiers.tiers.length * ROW + 4}`} className="chart">
        {tiers.tiers.map((row, index) => (
          <g key={row.tier} transform={`translate(0 ${index * ROW})`} fontSize="12">
            <text x="0" y="20">{row.tier} (×{row.weight})</text>
            <rect x={LABEL} y="4" height="16" width={SPAN * (row.delivered_share ?? 0)} className="bar-delivered" />
            <text x={LABEL + SPAN * (row.delivered_share ?? 0) + 4} y="17">{percent(row.delivered_share)}</text>
            <rect x={LABEL} y="24" height="14" width={SPAN * (row.promised_share ?? 0)} className="bar-promised" />
            <text x={LABEL + SPAN * (row.promised_share ?? 0) + 4} y="36">{percent(row.promised_share)}</text>
          </g>
        ))}
      </svg>
      <figcaption>
        Share of worker time delivered (solid) and promised by tier weight (outlined), over{" "}
        {Math.round(tiers.worker_seconds)} worker-seconds
      </figcaption>
    </figure>
  );
}

export function TierTable({ tiers }: { tiers: Tiers }) {
  return (
    <div className="table-wrap">
      <table aria-label="Jobs per tier">
        <thead>
          <tr>
            <th scope="col">Tier</th><th scope="col">Weight</th><th scope="col">Backlog</th>
            <th scope="col">Running</th><th scope="col">Completed</th><th scope="col">Failed</th>
            <th scope="col">Delivered</th><th scope="col">Promised</th>
          </tr>
        </thead>
        <tbody>
          {tiers.tiers.map((row) => (
            <tr key={row.tier} data-tier={row.tier}>
              <td>{row.tier}</td><td>{row.weight}</td><td>{row.backlog}</td><td>{row.totals.running ?? 0}</td>
              <td>{row.totals.completed ?? 0}</td><td>{row.totals.failed ?? 0}</td>
              <td>{percent(row.delivered_share)}</td><td>{percent(row.promised_share)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function BusiestUsers({ users, names }: { users: BusyUser[]; names: Record<number, string> }) {
  if (users.length === 0) return null;
  return (
    <div className="table-wrap">
      <table aria-label="Busiest users">
        <thead>
          <tr><th scope="col">User</th><th scope="col">Tier</th><th scope="col">Worker time</th>
            <th scope="col">Delivered</th><th scope="col">Promised</th></tr>
        </thead>
        <tbody>
          {users.map((user) => (
            <tr key={user.user_id}>
              <td>{who(names, user.user_id)}</td><td>{user.tier}</td><td>{user.worker_seconds.toFixed(1)} s</td>
              <td>{percent(user.delivered_share)}</td><td>{percent(user.promised_share)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
