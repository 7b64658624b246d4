import { FormEvent, useState } from "react";
import { JOB_TYPES, JobType } from "./SubmitForm";

/** What POST /api/schedules takes (SPEC.md section 2, Schedules). */
export interface ScheduleSpec {
  name: string;
  type: JobType;
  payload: Record<string, unknown>;
  cron?: string;
  timezone?: string;
  interval_seconds?: number;
}

/** A payload to start from for each type: the schedule form edits it as JSON. */
export const EXAMPLE_PAYLOADS: Record<JobType, Record<string, unknown>> = {
  timed: { duration_seconds: 1 },
  email: { to: "", subject: "Reminder", body: "" },
  image: { image: "", operations: [{ op: "grayscale" }], format: "png" },
  export: { dataset: "jobs", format: "csv", filters: {} },
};

/** IANA zones the browser knows (UTC first), for the time zone list. */
function timeZones(): string[] {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return ["UTC", ...known.filter((zone) => zone !== "UTC")];
}

export function ScheduleForm({ create }: { create: (spec: ScheduleSpec) => Promise<unknown> }) {
  const [name, setName] = useState("");
  const [type, setType] = useState<JobType>("timed");
  const [payload, setPayload] = useState(JSON.stringify(EXAMPLE_PAYLOADS.timed, null, 2));
  const [rhythm, setRhythm] = useState<"cron" | "interval">("cron");
  const [cron, setCron] = useState("0 * * * *");
  const [timezone, setTimezone] = useState("UTC");
  const [interval, setInterval] = useState("60");
  const [error, setError] = useState("");
  const [message, setMessage] = useState("");

  const chooseType = (next: JobType) => {
    setType(next);
    setPayload(JSON.stringify(EXAMPLE_PAYLOADS[next], null, 2));
  };
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError("");
    setMessage("");
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(payload);
    } catch {
      setError("The payload is not valid JSON.");
      return;
    }
    const spec: ScheduleSpec = { name, type, payload: parsed };
    if (rhythm === "cron") Object.assign(spec, { cron, timezone });
    else spec.interval_seconds = Number(interval);
    try {
      await create(spec);
      setMessage(`Schedule ${name} created.`);
      setName("");
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };

  return (
    <form className="card" aria-labelledby="schedule-form-title" onSubmit={onSubmit}>
      <h2 id="schedule-form-title">New schedule</h2>
      <div className="row">
        <label>
          Schedule name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </label>
        <label>
          Schedule job type
          <select value={type} onChange={(e) => chooseType(e.target.value as JobType)}>
            {JOB_TYPES.map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </label>
      </div>
      <label>
        Payload (JSON)
        <textarea value={payload} onChange={(e) => setPayload(e.target.value)} spellCheck={false} />
      </label>
      <fieldset className="row">
        <legend>Rhythm</legend>
        <label className="inline">
          <input type="radio" name="rhythm" checked={rhythm === "cron"} onChange={() => setRhythm("cron")} />
          Cron expression
        </label>
        <label className="inline">
          <input type="radio" name="rhythm" checked={rhythm === "interval"} onChange={() => setRhythm("interval")} />
          Fixed interval
        </label>
      </fieldset>
      {rhythm === "cron" ? (
        <div className="row">
          <label>
            Cron (5 fields, or 6 with seconds first)
            <input className="mono" value={cron} onChange={(e) => setCron(e.target.value)} required />
          </label>
          <label>
            Time zone
            <select value={timezone} onChange={(e) => setTimezone(e.target.value)}>
              {timeZones().map((zone) => <option key={zone} value={zone}>{zone}</option>)}
            </select>
          </label>
        </div>
      ) : (
        <label>
          Every (seconds)
          <input type="number" min={1} value={interval} onChange={(e) => setInterval(e.target.value)} required />
        </label>
      )}
      <div className="row">
        <button type="submit">Create schedule</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {message && <p className="ok">{message}</p>}
    </form>
  );
}
