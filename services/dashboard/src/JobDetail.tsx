import { useEffect, useRef, useState } from "react";
import type { Session } from "./session";
import { Job } from "./types";

interface TimelineEvent {
  id: string;
  type: string;
  at: string | null;
  status: string | null;
  attempts: number | null;
  error: string | null;
}

interface Timeline {
  items: TimelineEvent[];
  complete: boolean;
}

interface Props {
  session: Session;
  jobId: string;
  /** The row's live copy, so the detail follows events too. */
  live?: Job;
  onClose: () => void;
}

export function JobDetail({ session, jobId, live, onClose }: Props) {
  const [job, setJob] = useState<Job | null>(null);
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [error, setError] = useState("");
  const status = live?.status;
  const heading = useRef<HTMLHeadingElement>(null);

  // Opening a job moves the focus to its detail, so a keyboard or screen reader user lands there.
  useEffect(() => heading.current?.focus(), [jobId]);

  useEffect(() => {
    const failed = (caught: Error) => setError(caught.message);
    session.call<Job>(`/api/jobs/${jobId}`).then(setJob, failed);
    session.call<Timeline>(`/api/jobs/${jobId}/events`).then(setTimeline, failed);
  }, [session, jobId, status]);

  const download = async () => {
    if (!job?.artifact) return;
    try {
      const response = await session.download(job.artifact.url);
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = job.artifact.name || `job-${job.id}`;
      document.body.append(link);
      link.click();
      link.remove();
      URL.revokeObjectURL(url);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };

  return (
    <section className="card detail" aria-labelledby="detail-title">
      <div className="row spread">
        <h2 id="detail-title" tabIndex={-1} ref={heading}>Job {jobId}</h2>
        <button type="button" className="secondary" onClick={onClose}>Close details</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {job && (
        <>
          <dl>
            <dt>Type</dt><dd>{job.type}</dd>
            <dt>Status</dt><dd>{live?.status ?? job.status}</dd>
            <dt>Attempts</dt><dd>{job.attempts} of {(job.max_retries ?? 0) + 1}</dd>
            <dt>Created</dt><dd>{job.created_at}</dd>
            <dt>Started</dt><dd>{job.started_at ?? "—"}</dd>
            <dt>Finished</dt><dd>{job.finished_at ?? "—"}</dd>
            {job.error && (<><dt>Error</dt><dd className="error">{job.error}</dd></>)}
          </dl>
          <h3>Payload</h3>
          <pre>{JSON.stringify(truncateImage(job.payload), null, 2)}</pre>
          <h3>Result</h3>
          <pre>{JSON.stringify(job.result ?? null, null, 2)}</pre>
          {timeline && <JobTimeline timeline={timeline} />}
          {job.artifact && (
            <button type="button" onClick={download}>Download {job.artifact.name}</button>
          )}
        </>
      )}
    </section>
  );
}

/** The job's state changes, oldest first, as an ordered list. */
export function JobTimeline({ timeline }: { timeline: Timeline }) {
  return (
    <section aria-labelledby="timeline-title">
      <h3 id="timeline-title">Timeline</h3>
      {!timeline.complete && (
        <p className="muted">Older events of this job are no longer kept; the times above are the full record.</p>
      )}
      <ol aria-label="Timeline of the job" className="timeline">
        {timeline.items.map((event) => (
          <li key={event.id} data-event={event.type}>
            <time dateTime={event.at ?? undefined}>{event.at ? new Date(event.at).toLocaleTimeString() : ""}</time>{" "}
            <strong>{event.type.replace("job.", "")}</strong>
            {event.attempts ? ` (attempt ${event.attempts})` : ""}
            {event.error && <span className="error">: {event.error}</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** A base64 image would fill the screen: show its size instead. */
function truncateImage(payload: Record<string, unknown> | undefined) {
  if (!payload || typeof payload.image !== "string") return payload;
  return { ...payload, image: `(${payload.image.length} base64 characters)` };
}
