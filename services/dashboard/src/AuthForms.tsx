import { FormEvent, useState } from "react";
import { Tokens, login, signUp } from "./api";

interface Props {
  onSignedIn: (tokens: Tokens) => void;
  /** Why the user is here again (an expired session), shown above the forms. */
  notice?: string;
}

export function AuthForms({ onSignedIn, notice }: Props) {
  const [mode, setMode] = useState<"in" | "up">("in");
  return (
    <main className="auth">
      <h1>Conveyor</h1>
      {notice && <p className="notice" role="alert">{notice}</p>}
      {mode === "in" ? <SignInForm onSignedIn={onSignedIn} /> : <SignUpForm onSignedIn={onSignedIn} />}
      <p>
        {mode === "in" ? "No account yet? " : "Have an account? "}
        <button type="button" className="link" onClick={() => setMode(mode === "in" ? "up" : "in")}>
          {mode === "in" ? "Create one" : "Sign in instead"}
        </button>
      </p>
    </main>
  );
}

function useSubmit(action: () => Promise<void>) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      await action();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, onSubmit };
}

export function SignInForm({ onSignedIn }: Props) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const { error, busy, onSubmit } = useSubmit(async () => onSignedIn(await login(name, password)));
  return (
    <form onSubmit={onSubmit} aria-labelledby="sign-in-title" className="card">
      <h2 id="sign-in-title">Sign in</h2>
      <label>
        Username or email
        <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="username" required />
      </label>
      <label>
        Password
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)}
          autoComplete="current-password" required />
      </label>
      {error && <p className="error" role="alert">{error}</p>}
      <button type="submit" disabled={busy}>Sign in</button>
    </form>
  );
}

export function SignUpForm({ onSignedIn }: Props) {
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { error, busy, onSubmit } = useSubmit(async () => {
    await signUp(username, email, password);
    onSignedIn(await login(username, password));
  });
  return (
    <form onSubmit={onSubmit} aria-labelledby="sign-up-title" className="card">
      <h2 id="sign-up-title">Sign up</h2>
      <label>
        Username
        <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
      </label>
      <label>
        Email
        <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" required />
      </label>
      <label>
        Password
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)}
          autoComplete="new-password" minLength={8} required />
      </label>
      {error && <p className="error" role="alert">{error}</p>}
      <button type="submit" disabled={busy}>Sign up</button>
    </form>
  );
}
