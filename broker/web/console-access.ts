/**
 * Who may see what on the console's read-only routes (broker/README.md#web-console): the call is
 * authenticated as a ListGroups call is (any principal may ask), then each subject is shown only
 * when the principal may subscribe to it or fetch from it, and each group only when it may
 * consume the group's subject or pattern (ListGroups' own rule).
 */
import type { Verb } from "../../contract/auth-file.ts";
import { permits } from "../security/access-control.ts";
import type { ConsoleSource } from "./console-source.ts";
import { type CallOrigin, runUnary, unaryCall } from "./in-process-call.ts";

/** Whether the caller may `verb` on `subject`. */
export type Permits = (verb: Verb, subject: string) => boolean;

/** Rejects with UNAUTHENTICATED (401) for a missing or unknown credential when auth is on. */
export async function authenticate(
  source: Pick<ConsoleSource, "authenticate">,
  origin: CallOrigin,
): Promise<Permits> {
  if (source.authenticate === undefined) return () => true;
  const call = unaryCall({ group: "" }, origin);
  await runUnary(source.authenticate, call);
  return (verb, subject) => permits(call, verb, subject);
}

/** A subject is listed to whoever may read it, by Subscribe or by Fetch. */
export const mayRead = (allowed: Permits) => (subject: string) =>
  allowed("subscribe", subject) || allowed("fetch", subject);
