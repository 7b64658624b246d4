import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { Session } from "./session";

const EMPTY_PAGE = { items: [], page: 1, per_page: 20, total: 0, pages: 0 };
const TOKENS = { access_token: "x.e30.y", refresh_token: "r", token_type: "Bearer", expires_in: 900 };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status });
}

afterEach(() => vi.unstubAllGlobals());

describe("App", () => {
  it("sends an expired session to sign in and keeps what the user typed", async () => {
    let signedOut = false;
    vi.stubGlobal("fetch", vi.fn(async (url: string) => {
      if (url.endsWith("/api/auth/login")) {
        signedOut = false;
        return json(200, TOKENS);
      }
      if (signedOut || url.endsWith("/api/auth/refresh")) return json(401, { status: 401, detail: "Token expired." });
      if (url.startsWith("/api/jobs?")) return json(200, EMPTY_PAGE);
      if (url.endsWith("/api/events/token")) return json(200, { token: "t" });
      return json(201, { id: "j" });
    }));
    window.sessionStorage.clear();
    const session = new Session(window.sessionStorage);
    session.set({ ...TOKENS, expires_at: Date.now() + 600_000 });
    render(<App session={session} />);
    const user = userEvent.setup();
    const duration = await screen.findByLabelText("Duration (seconds)");
    await user.clear(duration);
    await user.type(duration, "42");
    signedOut = true;
    await user.click(screen.getByRole("button", { name: "Submit job" }));
    const dialog = await screen.findByRole("dialog");
    await user.type(within(dialog).getByLabelText("Username or email"), "ann");
    await user.type(within(dialog).getByLabelText("Password"), "secret-pass");
    await user.click(within(dialog).getByRole("button", { name: "Sign in" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getByLabelText("Duration (seconds)")).toHaveValue(42);
  });
});
