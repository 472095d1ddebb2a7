/**
 * Per-subject permissions (broker/README.md#security): for each verb, the subject patterns a
 * principal may use (contract/subjects.ts: `*` one token, `>` one or more trailing tokens), and
 * optional `deny` patterns that win over them. The same shape is read from the auth file and from
 * a JWT claim. Decisions are cached per compiled set, so a reload (a new set) starts afresh.
 */
import { compilePattern, isPattern } from "../../contract/subjects.ts";
import type { PermissionsSpec, Verb } from "../../contract/auth-file.ts";

/** Nothing at all: a verified JWT without a permissions claim or a mapping. */
export const noPermissions: PermissionsSpec = {
  publish: [],
  subscribe: [],
  fetch: [],
  consume: [],
  deny: { publish: [], subscribe: [], fetch: [], consume: [] },
};

export interface Permissions {
  allows(verb: Verb, subject: string): boolean;
}

/** Decisions kept per verb before the cache starts over; bounds memory against many subjects. */
const cacheLimit = 10_000;

/** Whether every subject `pattern` matches is matched by `by` (both valid patterns). */
export function covers(by: string, pattern: string): boolean {
  const outer = by.split(".");
  const inner = pattern.split(".");
  for (let index = 0; ; index++) {
    const a = outer[index];
    const p = inner[index];
    if (a === ">") return p !== undefined;
    if (a === undefined || p === undefined) return a === p;
    if (p === ">" || (p === "*" && a !== "*") || (a !== "*" && a !== p)) return false;
  }
}

/** Whether some subject matches both patterns. */
export function overlaps(first: string, second: string): boolean {
  const a = first.split(".");
  const b = second.split(".");
  for (let index = 0; ; index++) {
    const x = a[index];
    const y = b[index];
    if (x === ">" || y === ">") return x !== undefined && y !== undefined;
    if (x === undefined || y === undefined) return x === y;
    if (x !== "*" && y !== "*" && x !== y) return false;
  }
}

/**
 * A subject is allowed when an allow pattern matches it and no deny pattern does. A pattern (a
 * pattern Subscribe, a Consume on a pattern) is allowed when the allow patterns cover all it
 * matches and no deny pattern shares a subject with it.
 */
const anyOf = (list: readonly string[], forPattern: (rule: string, pattern: string) => boolean) => {
  const matchers = list.map(compilePattern);
  return (subject: string) =>
    isPattern(subject)
      ? list.some((rule) => forPattern(rule, subject))
      : matchers.some((matches) => matches(subject));
};

export function compilePermissions(spec: PermissionsSpec): Permissions {
  const decide = (verb: Verb) => {
    const allowed = anyOf(spec[verb], covers);
    const denied = anyOf(spec.deny[verb], overlaps);
    const cache = new Map<string, boolean>();
    return (subject: string) => {
      const known = cache.get(subject);
      if (known !== undefined) return known;
      const decision = !denied(subject) && allowed(subject);
      if (cache.size >= cacheLimit) cache.clear();
      cache.set(subject, decision);
      return decision;
    };
  };
  const byVerb: Record<Verb, (subject: string) => boolean> = {
    publish: decide("publish"),
    subscribe: decide("subscribe"),
    fetch: decide("fetch"),
    consume: decide("consume"),
  };
  return { allows: (verb, subject) => byVerb[verb](subject) };
}
