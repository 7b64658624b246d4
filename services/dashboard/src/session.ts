// The signed-in session: tokens kept in sessionStorage (one tab, gone with it), renewed a
// minute before the access token expires, and a single renewal shared by concurrent calls.

import { API_URL, ApiError, SessionExpired, refresh, request } from "./api";
import type { Tokens } from "./api";

const KEY = "conveyor.tokens";
const RENEW_BEFORE_MS = 60_000;

type Listener = (tokens: Tokens | null) => void;

export class Session {
  private tokens: Tokens | null;
  private renewing: Promise<Tokens> | null = null;
  private listeners = new Set<Listener>();

  constructor(private storage: Storage = window.sessionStorage) {
    const saved = storage.getItem(KEY);
    this.tokens = saved ? (JSON.parse(saved) as Tokens) : null;
  }

  get current(): Tokens | null {
    return this.tokens;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(tokens: Tokens | null): void {
    this.tokens = tokens;
    if (tokens) this.storage.setItem(KEY, JSON.stringify(tokens));
    else this.storage.removeItem(KEY);
    this.listeners.forEach((listener) => listener(tokens));
  }

  /** Return a valid access token, renewing it first when it is about to expire. */
  async accessToken(): Promise<string> {
    const tokens = this.tokens;
    if (!tokens) throw new SessionExpired();
    if (tokens.expires_at - Date.now() > RENEW_BEFORE_MS) return tokens.access_token;
    return (await this.renew()).access_token;
  }

  renew(): Promise<Tokens> {
    const tokens = this.tokens;
    if (!tokens) return Promise.reject(new SessionExpired());
    this.renewing ??= refresh(tokens.refresh_token)
      .then((fresh) => {
        this.set(fresh);
        return fresh;
      })
      .catch((error) => {
        this.set(null);
        throw error instanceof ApiError ? new SessionExpired() : error;
      })
      .finally(() => {
        this.renewing = null;
      });
    return this.renewing;
  }

  /** Call the API as the signed-in user; a 401 renews once, then ends the session. */
  async call<T>(path: string, init: RequestInit = {}): Promise<T> {
    try {
      return await request<T>(path, init, await this.accessToken());
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      const fresh = await this.renew();
      return request<T>(path, init, fresh.access_token);
    }
  }

  /** Fetch a file as the signed-in user (artifact downloads carry the bearer token). */
  async download(path: string): Promise<Response> {
    const token = await this.accessToken();
    const response = await fetch(`${API_URL}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new ApiError(response.status, { status: response.status, ...body });
    }
    return response;
  }

  async logout(): Promise<void> {
    const tokens = this.tokens;
    this.set(null);
    if (tokens) await request("/api/auth/logout", { method: "POST" }, tokens.access_token).catch(() => undefined);
  }
}

export function claims(token: string): { sub?: string; role?: string; tier?: string; username?: string } {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part));
  } catch {
    return {};
  }
}
