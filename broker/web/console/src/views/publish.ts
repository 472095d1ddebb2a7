/** Publish one message through POST /v1/subjects/{subject}/messages. */
import { html } from "htm/preact";
import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { publish } from "../api.ts";
import { href } from "../route.ts";
import { ErrorBanner } from "./common.ts";

const inputValue = (event: Event) => (event.currentTarget as HTMLInputElement).value;

export function Publish({ token, subject }: { token: string; subject: string }): VNode {
  const [form, setForm] = useState({ subject, body: "", ttl: "0", key: "" });
  const [outcome, setOutcome] = useState<{ id?: number; subject?: string; error?: unknown }>({});
  const [sending, setSending] = useState(false);
  const field = (name: keyof typeof form) => (event: Event) =>
    setForm({ ...form, [name]: inputValue(event) });
  const submit = (event: Event) => {
    event.preventDefault();
    setSending(true);
    publish(
      {
        subject: form.subject,
        body: form.body,
        ttlSeconds: Number(form.ttl),
        idempotencyKey: form.key,
      },
      token,
    )
      .then(
        (id) => setOutcome({ id, subject: form.subject }),
        (error: unknown) => setOutcome({ error }),
      )
      .finally(() => setSending(false));
  };
  return html`<section>
    <h2>Publish</h2>
    <form class="stacked" id="publish" onSubmit=${submit}>
      <label
        >Subject
        <input
          name="subject"
          required
          value=${form.subject}
          onInput=${field("subject")}
          placeholder="orders.eu"
      /></label>
      <label
        >Body
        <textarea name="body" rows="5" value=${form.body} onInput=${field("body")}></textarea>
      </label>
      <label
        >Expiry (seconds, 0 = the broker's default)
        <input name="ttl" type="number" min="0" value=${form.ttl} onInput=${field("ttl")}
      /></label>
      <label
        >Idempotency key (optional) <input name="key" value=${form.key} onInput=${field("key")}
      /></label>
      <button type="submit" disabled=${sending}>Publish</button>
    </form>
    ${
      outcome.id === undefined
        ? null
        : html`<p class="ok facts" id="published" role="status">
            <span>Published <code>${outcome.subject}</code></span>
            <span>id <strong>${outcome.id}</strong></span>
            <a href=${href("tail", outcome.subject ?? "")}>tail it</a>
          </p>`
    }
    <${ErrorBanner} error=${outcome.error} />
  </section>`;
}
