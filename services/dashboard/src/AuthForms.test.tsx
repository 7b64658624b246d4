import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SignInForm, SignUpForm } from "./AuthForms";

function respond(...bodies: Array<[number, unknown]>) {
  const fetchMock = vi.fn();
  bodies.forEach(([status, body]) =>
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify(body), { status })),
  );
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

const TOKENS = { access_token: "a", refresh_token: "r", token_type: "Bearer", expires_in: 900 };

afterEach(() => vi.unstubAllGlobals());

describe("SignInForm", () => {
  it("logs in by email when the name holds an @", async () => {
    const fetchMock = respond([200, TOKENS]);
    const onSignedIn = vi.fn();
    render(<SignInForm onSignedIn={onSignedIn} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Username or email"), "ann@example.com");
    await user.type(screen.getByLabelText("Password"), "secret-pass");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(JSON.parse(fetchMock.mock.calls[0][1].body)).toEqual({ email: "ann@example.com", password: "secret-pass" });
    expect(onSignedIn).toHaveBeenCalledWith(expect.objectContaining({ access_token: "a" }));
  });

  it("shows the problem's detail on a failed login", async () => {
    respond([401, { type: "about:blank", title: "Unauthorized", status: 401, detail: "Wrong username or password." }]);
    const onSignedIn = vi.fn();
    render(<SignInForm onSignedIn={onSignedIn} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Username or email"), "ann");
    await user.type(screen.getByLabelText("Password"), "wrong-pass");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username or password.");
    expect(onSignedIn).not.toHaveBeenCalled();
  });
});

describe("SignUpForm", () => {
  it("creates the account, then signs in", async () => {
    const fetchMock = respond([201, { id: 1, username: "ann" }], [200, TOKENS]);
    const onSignedIn = vi.fn();
    render(<SignUpForm onSignedIn={onSignedIn} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Username"), "ann");
    await user.type(screen.getByLabelText("Email"), "ann@example.com");
    await user.type(screen.getByLabelText("Password"), "secret-pass");
    await user.click(screen.getByRole("button", { name: "Sign up" }));
    expect(fetchMock.mock.calls.map((call) => call[0])).toEqual(["/api/users", "/api/auth/login"]);
    expect(onSignedIn).toHaveBeenCalled();
  });

  it("lists each field the API refused", async () => {
    respond([422, { status: 422, detail: "The request is not valid.", errors: { json: { username: ["Already taken."] } } }]);
    render(<SignUpForm onSignedIn={vi.fn()} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Username"), "ann");
    await user.type(screen.getByLabelText("Email"), "ann@example.com");
    await user.type(screen.getByLabelText("Password"), "secret-pass");
    await user.click(screen.getByRole("button", { name: "Sign up" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("json.username: Already taken.");
  });
});
