/**
 * Calls to the gateway with the session's token. A refusal is an ApiError with the HTTP status
 * and the gateway's `{code, message}`, which the views show as they are.
 */
import type { ZodMiniType } from "zod/mini";
import { ErrorBody, PublishedBody } from "./schemas.ts";
import { authorization } from "./session.ts";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** The ApiError of a refused answer; a body that is not the gateway's JSON error keeps its status. */
export async function refusal(response: Response): Promise<ApiError> {
  const parsed = ErrorBody.safeParse(await response.json().catch(() => undefined));
  return parsed.success
    ? new ApiError(response.status, parsed.data.code, parsed.data.message)
    : new ApiError(response.status, "UNKNOWN", response.statusText);
}

export async function getJson<T>(path: string, schema: ZodMiniType<T>, token: string): Promise<T> {
  const response = await fetch(path, { headers: authorization(token) });
  if (!response.ok) throw await refusal(response);
  return schema.parse(await response.json());
}

export interface PublishForm {
  readonly subject: string;
  readonly body: string;
  readonly ttlSeconds: number;
  readonly idempotencyKey: string;
}

/** Publishes the form's message; resolves with its id. */
export async function publish(form: PublishForm, token: string): Promise<number> {
  const query = form.ttlSeconds > 0 ? `?ttl=${form.ttlSeconds}` : "";
  const headers = {
    ...authorization(token),
    "content-type": "text/plain; charset=utf-8",
    ...(form.idempotencyKey === "" ? {} : { "idempotency-key": form.idempotencyKey }),
  };
  const response = await fetch(
    `/v1/subjects/${encodeURIComponent(form.subject)}/messages${query}`,
    { method: "POST", headers, body: form.body },
  );
  if (!response.ok) throw await refusal(response);
  return PublishedBody.parse(await response.json()).id;
}

/** How a failure reads on screen: `401 UNAUTHENTICATED: invalid token: …`. */
export const describeError = (err: unknown): string =>
  err instanceof ApiError
    ? `${err.status} ${err.code}: ${err.message}`
    : err instanceof Error
      ? err.message
      : String(err);
