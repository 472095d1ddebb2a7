/**
 * Sign in: the token is checked against GET /v1/cluster before it is kept, so a wrong one shows
 * the gateway's refusal at once. "No token" is for a broker without authentication.
 */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { getJson } from "../api.ts";
import { ClusterBody } from "../schemas.ts";
import { ErrorBanner } from "./common.ts";

export function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }): VNode {
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [checking, setChecking] = useState(false);
  const submit = (candidate: string) => {
    setChecking(true);
    getJson("/v1/cluster", ClusterBody, candidate).then(
      () => onSignedIn(candidate),
      (err: unknown) => {
        setError(err);
        setChecking(false);
      },
    );
  };
  return html`<section class="signin">
    <h2>Sign in</h2>
    <p class="muted">
      The token stays in this tab's session storage and is sent as a bearer token.
    </p>
    <form
      onSubmit=${(event: Event) => {
        event.preventDefault();
        submit(token);
      }}
    >
      <label
        >Token
        <input
          id="token"
          type="password"
          autocomplete="off"
          value=${token}
          onInput=${(event: Event) => setToken((event.currentTarget as HTMLInputElement).value)}
      /></label>
      <button id="sign-in" type="submit" disabled=${checking}>Sign in</button>
      <button id="no-token" type="button" disabled=${checking} onClick=${() => submit("")}>
        No token (authentication off)
      </button>
    </form>
    <${ErrorBanner} error=${error} />
  </section>`;
}
