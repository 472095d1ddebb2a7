/**
 * Environment variables as zod codecs: each one decodes the variable's text into a typed value and
 * encodes a typed value back into text. A program parses its environment with a schema built from
 * these, and a program that renders another's environment (the operator) encodes through the very
 * same schema, so both sides agree on names, types, defaults and formats.
 */
import { z } from "zod";
import type { HostPort } from "./host-port.ts";
import { formatHostPort } from "./host-port.ts";

/** A bad or missing variable; the message is the one line to print, starting with its name. */
export class EnvError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = "EnvError";
    this.variable = variable;
  }
}

const got = (raw: string) => `got ${JSON.stringify(raw)}`;

type Ctx = z.core.ParsePayload<string>;

function fail(ctx: Ctx, raw: string, expected: string): never {
  ctx.issues.push({ code: "custom", message: `expected ${expected}, ${got(raw)}`, input: raw });
  return z.NEVER;
}

/** The longest delay a Node timer holds; a longer one fires after 1 ms instead. */
export const maxTimerMs = 2 ** 31 - 1;

/** A decimal integer from `min` to `max`; every count and size has a bound. */
export function envInteger(min: number, max: number) {
  const expected = `an integer from ${min} to ${max}`;
  return z.codec(z.string(), z.int().min(min).max(max), {
    decode: (raw, ctx) => {
      const value = Number(raw);
      if (!/^\d+$/.test(raw) || value < min || value > max) return fail(ctx, raw, expected);
      return value;
    },
    encode: (value) => String(value),
  });
}

/** A duration in milliseconds that becomes a timer, so at most `maxTimerMs`. */
export const envMilliseconds = (min: 0 | 1) => envInteger(min, maxTimerMs);

/** A duration in seconds that becomes a timer in milliseconds, so at most `maxTimerMs` / 1000. */
export const envTimerSeconds = (min: 0 | 1) => envInteger(min, Math.floor(maxTimerMs / 1000));

const hostPortSchema = z.object({ host: z.string().min(1), port: z.int().min(0).max(65535) });

/** `host:port`; an IPv6 host may be bracketed. */
export function envHostPort() {
  return z.codec(z.string(), hostPortSchema, {
    decode: (raw, ctx): HostPort => {
      const match = /^(.+):(\d{1,5})$/.exec(raw);
      const port = Number(match?.[2]);
      if (!match?.[1] || port > 65535) return fail(ctx, raw, "host:port");
      return { host: match[1].replace(/^\[(.*)\]$/, "$1"), port };
    },
    encode: formatHostPort,
  });
}

/** One of a fixed set of words. */
export function envEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.codec(z.string(), z.enum(values), {
    decode: (raw, ctx): T[number] =>
      values.find((value) => value === raw) ?? fail(ctx, raw, `one of ${values.join("|")}`),
    encode: (value) => value,
  });
}

/** `true` or `false`. */
export function envBoolean() {
  return z.codec(z.string(), z.boolean(), {
    decode: (raw, ctx) =>
      raw === "true" ? true : raw === "false" ? false : fail(ctx, raw, "true or false"),
    encode: (value) => String(value),
  });
}

/** Free text; an empty value counts as unset. */
export const envText = () => z.string().min(1);

/** A lowercase SQL/CQL identifier (schema, keyspace); checked when parsed and when rendered. */
export const envIdentifier = () =>
  z.string().regex(/^[a-z_][a-z0-9_]{0,47}$/, {
    error: (issue) => `expected a lowercase identifier (a-z, 0-9, _), ${got(String(issue.input))}`,
  });

/** A comma-separated list; blanks around items and empty items are dropped. */
export function envList() {
  return z.codec(z.string(), z.array(z.string().min(1)).min(1), {
    decode: (raw, ctx) => {
      const items = raw
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "");
      return items.length > 0 ? items : fail(ctx, raw, "a comma-separated list");
    },
    encode: (items) => items.join(","),
  });
}

type EnvSchema = z.ZodObject<z.ZodRawShape>;

/**
 * Parses `environment` with `schema`. An empty variable counts as unset, as in a shell. Throws
 * EnvError naming the first bad variable.
 */
export function parseEnv<S extends EnvSchema>(
  schema: S,
  environment: Readonly<Record<string, string | undefined>>,
): z.output<S> {
  const set = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = schema.safeParse(set);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  throw new EnvError(String(issue?.path[0] ?? "environment"), issue?.message ?? "invalid value");
}

/** Variables with `prefix` that `schema` does not define, sorted. */
export function unknownVariables(
  schema: EnvSchema,
  environment: Readonly<Record<string, string | undefined>>,
  prefix: string,
): string[] {
  return Object.keys(environment)
    .filter((name) => name.startsWith(prefix) && !(name in schema.shape))
    .sort();
}

/**
 * The partial of each schema renderEnv has seen. zod compiles a fast path for every new object
 * schema it parses with, so a partial made per call recompiled it per call: an operator rendering
 * hundreds of brokers spent seconds of CPU and heap on it.
 */
const partials = new WeakMap<EnvSchema, EnvSchema>();

function partialOf(schema: EnvSchema): EnvSchema {
  let partial = partials.get(schema);
  if (!partial) {
    partial = schema.partial();
    partials.set(schema, partial);
  }
  return partial;
}

/** Encodes typed values into variable text through `schema`; unset values are left out. */
export function renderEnv<S extends EnvSchema>(
  schema: S,
  values: Partial<z.output<S>>,
): Record<string, string> {
  const encoded: Record<string, unknown> = z.encode(partialOf(schema), values);
  return Object.fromEntries(
    Object.entries(encoded).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
