import { ChangeEvent, FormEvent, useState } from "react";

export const JOB_TYPES = ["timed", "email", "image", "export"] as const;
export type JobType = (typeof JOB_TYPES)[number];
export const STATUSES = ["scheduled", "queued", "running", "completed", "failed", "canceled"] as const;

export interface Submission {
  type: JobType;
  payload: Record<string, unknown>;
  priority: string;
  max_retries: number;
}

interface Props {
  submit: (submission: Submission) => Promise<unknown>;
}

const IMAGE_OPERATIONS = ["grayscale", "thumbnail", "rotate", "blur"] as const;

/** Read a file as base64 without its data-URL prefix (the API wants bare base64). */
function readBase64(file: File): Promise<{ base64: string; url: string }> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve({ base64: url.slice(url.indexOf(",") + 1), url });
    };
    reader.onerror = () => reject(new Error("The file could not be read."));
    reader.readAsDataURL(file);
  });
}

export function SubmitForm({ submit }: Props) {
  const [type, setType] = useState<JobType>("timed");
  const [priority, setPriority] = useState("normal");
  const [maxRetries, setMaxRetries] = useState("3");
  const [duration, setDuration] = useState("3");
  const [failAttempts, setFailAttempts] = useState("0");
  const [to, setTo] = useState("");
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const [image, setImage] = useState<{ base64: string; url: string } | null>(null);
  const [operation, setOperation] = useState<(typeof IMAGE_OPERATIONS)[number]>("grayscale");
  const [imageFormat, setImageFormat] = useState("png");
  const [exportFormat, setExportFormat] = useState("csv");
  const [exportStatus, setExportStatus] = useState("");
  const [exportType, setExportType] = useState("");
  const [error, setError] = useState("");
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);

  const payload = (): Record<string, unknown> => {
    switch (type) {
      case "timed":
        return { duration_seconds: Number(duration), fail_attempts: Number(failAttempts) };
      case "email":
        return { to, subject, body };
      case "image": {
        if (!image) throw new Error("Choose an image file first.");
        const op: Record<string, unknown> = { op: operation };
        if (operation === "thumbnail") Object.assign(op, { width: 128, height: 128 });
        if (operation === "rotate") op.degrees = 90;
        if (operation === "blur") op.radius = 2;
        return { image: image.base64, operations: [op], format: imageFormat };
      }
      case "export": {
        const filters: Record<string, string[]> = {};
        if (exportStatus) filters.status = [exportStatus];
        if (exportType) filters.type = [exportType];
        return { dataset: "jobs", format: exportFormat, filters };
      }
    }
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError("");
    setMessage("");
    setBusy(true);
    try {
      await submit({ type, payload: payload(), priority, max_retries: Number(maxRetries) });
      setMessage(`Submitted a ${type} job.`);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    setImage(file ? await readBase64(file) : null);
  };

  return (
    <form onSubmit={onSubmit} className="card" aria-labelledby="submit-title">
      <h2 id="submit-title">Submit a job</h2>
      <div className="row">
        <label>
          Job type
          <select value={type} onChange={(e) => setType(e.target.value as JobType)}>
            {JOB_TYPES.map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </label>
        <label>
          Priority
          <select value={priority} onChange={(e) => setPriority(e.target.value)}>
            <option value="high">high</option>
            <option value="normal">normal</option>
            <option value="low">low</option>
          </select>
        </label>
        <label>
          Max retries
          <input type="number" min={0} max={10} value={maxRetries} onChange={(e) => setMaxRetries(e.target.value)} />
        </label>
      </div>
      {type === "timed" && (
        <div className="row">
          <label>
            Duration (seconds)
            <input type="number" min={0} max={3600} step="any" required value={duration}
              onChange={(e) => setDuration(e.target.value)} />
          </label>
          <label>
            Fail the first attempts
            <input type="number" min={0} max={100} value={failAttempts} onChange={(e) => setFailAttempts(e.target.value)} />
          </label>
        </div>
      )}
      {type === "email" && (
        <>
          <label>
            To
            <input type="email" required value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <label>
            Subject
            <input required value={subject} onChange={(e) => setSubject(e.target.value)} />
          </label>
          <label>
            Body
            <textarea required value={body} onChange={(e) => setBody(e.target.value)} />
          </label>
        </>
      )}
      {type === "image" && (
        <>
          <label>
            Image file
            <input type="file" accept="image/png,image/jpeg,image/webp" onChange={onFile} />
          </label>
          {image && <img className="preview" src={image.url} alt="Preview of the chosen image" />}
          <div className="row">
            <label>
              Operation
              <select value={operation} onChange={(e) => setOperation(e.target.value as typeof operation)}>
                {IMAGE_OPERATIONS.map((name) => <option key={name} value={name}>{name}</option>)}
              </select>
            </label>
            <label>
              Output format
              <select value={imageFormat} onChange={(e) => setImageFormat(e.target.value)}>
                <option value="png">png</option>
                <option value="jpeg">jpeg</option>
                <option value="webp">webp</option>
              </select>
            </label>
          </div>
        </>
      )}
      {type === "export" && (
        <div className="row">
          <label>
            Export format
            <select value={exportFormat} onChange={(e) => setExportFormat(e.target.value)}>
              <option value="csv">csv</option>
              <option value="json">json</option>
              <option value="jsonl">jsonl</option>
            </select>
          </label>
          <label>
            Only status
            <select value={exportStatus} onChange={(e) => setExportStatus(e.target.value)}>
              <option value="">any</option>
              {STATUSES.map((name) => <option key={name} value={name}>{name}</option>)}
            </select>
          </label>
          <label>
            Only type
            <select value={exportType} onChange={(e) => setExportType(e.target.value)}>
              <option value="">any</option>
              {JOB_TYPES.map((name) => <option key={name} value={name}>{name}</option>)}
            </select>
          </label>
        </div>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      {message && <p className="ok">{message}</p>}
      <button type="submit" disabled={busy}>Submit job</button>
    </form>
  );
}
