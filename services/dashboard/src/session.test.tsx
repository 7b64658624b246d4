import { afterEach, describe, expect, it, vi } from "vitest";
import { Session } from "./session";

const fresh = { access_token: "new", refresh_token: "r2", token_type: "Bearer", expires_in: 900 };

function storage(tokens: object): Storage {
  window.sessionStorage.clear();
  window.sessionStorage.setItem("conveyor.tokens", JSON.stringify(tokens));
  return window.sessionStorage;
}

afterEach(() => vi.unstubAllGlobals());

describe("Session", () => {
  it("renews the access token before it expires, once for concurrent calls", async () => {
    const fetchMock = vi.fn(async (url: string) =>
      new Response(JSON.stringify(url.endsWith("/refresh") ? fresh : { ok: true }), { status: 200 }),
    );
    vi.stubGlobal("fetch", fetchMock);
    const session = new Session(storage({ access_token: "old", refresh_token: "r1", expires_in: 900, expires_at: Date.now() + 10_000 }));
    await Promise.all([session.call("/api/jobs"), session.call("/api/queue")]);
    const refreshes = fetchMock.mock.calls.filter(([url]) => String(url).endsWith("/api/auth/refresh"));
    expect(refreshes).toHaveLength(1);
    expect(session.current?.access_token).toBe("new");
  });

  it("ends the session when the refresh token is refused", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ status: 401, detail: "spent" }), { status: 401 })));
    const session = new Session(storage({ access_token: "old", refresh_token: "r1", expires_in: 900, expires_at: Date.now() + 600_000 }));
    await expect(session.call("/api/jobs")).rejects.toMatchObject({ name: "SessionExpired" });
    expect(session.current).toBeNull();
  });
});
