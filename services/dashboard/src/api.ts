// The one place that talks to Conveyor's REST API: bearer tokens, refresh before expiry,
// and problem documents turned into messages a person can act on.

export const API_URL: string = (import.meta.env.VITE_API_URL as string | undefined) ?? "";

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  /** When the access token expires, in ms since the epoch (computed on receipt). */
  expires_at: number;
}

export interface Problem {
  status: number;
  title?: string;
  detail?: string;
  errors?: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problemMessage(problem));
  }
}

/** Thrown when the session cannot be renewed: the app sends the user to sign in. */
export class SessionExpired extends Error {
  name = "SessionExpired";
}

function flatten(errors: unknown, prefix = ""): string[] {
  if (Array.isArray(errors)) return errors.flatMap((item) => flatten(item, prefix));
  if (errors && typeof errors === "object") {
    return Object.entries(errors as Record<string, unknown>).flatMap(([key, value]) =>
      flatten(value, prefix && key !== "_schema" ? `${prefix}.${key}` : key === "_schema" ? prefix : key),
    );
  }
  return [prefix ? `${prefix}: ${String(errors)}` : String(errors)];
}

const STATUS_HINTS: Record<number, string> = {
  401: "You are not signed in, or your session ended.",
  403: "You are not allowed to do that.",
  404: "Not found (it may have been deleted).",
  409: "That conflicts with the current state; refresh and try again.",
  413: "That is too large to send.",
  429: "Too many attempts; wait a moment and try again.",
  503: "The service is not answering; try again shortly.",
};

/** Turn a problem document into one readable sentence (plus each field's complaint). */
export function problemMessage(problem: Problem): string {
  const head = problem.detail || problem.title || STATUS_HINTS[problem.status] || `Error ${problem.status}`;
  const fields = problem.errors ? flatten(problem.errors) : [];
  return fields.length ? `${head} ${fields.join("; ")}` : head;
}

async function readProblem(response: Response): Promise<Problem> {
  try {
    const body = await response.json();
    return { status: response.status, ...body };
  } catch {
    return { status: response.status, detail: STATUS_HINTS[response.status] };
  }
}

export async function request<T>(path: string, init: RequestInit = {}, token?: string): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.body && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  if (token) headers.set("Authorization", `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(`${API_URL}${path}`, { ...init, headers });
  } catch {
    throw new ApiError(0, { status: 0, detail: "Cannot reach Conveyor: check your connection." });
  }
  if (!response.ok) throw new ApiError(response.status, await readProblem(response));
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export function withExpiry(body: Omit<Tokens, "expires_at">): Tokens {
  return { ...body, expires_at: Date.now() + body.expires_in * 1000 };
}

export async function login(login: string, password: string): Promise<Tokens> {
  const field = login.includes("@") ? "email" : "username";
  const body = await request<Omit<Tokens, "expires_at">>("/api/auth/login", {
    method: "POST",
    body: JSON.stringify({ [field]: login, password }),
  });
  return withExpiry(body);
}

export async function refresh(refreshToken: string): Promise<Tokens> {
  const body = await request<Omit<Tokens, "expires_at">>(
    "/api/auth/refresh",
    { method: "POST" },
    refreshToken,
  );
  return withExpiry(body);
}

export function signUp(username: string, email: string, password: string): Promise<unknown> {
  return request("/api/users", { method: "POST", body: JSON.stringify({ username, email, password }) });
}
