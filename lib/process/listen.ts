/**
 * A listen address that cannot be bound, said in one line: both programs exit with it at startup
 * under the name of the variable that set the address.
 */
import { getSystemErrorMap } from "node:util";
import { EnvError } from "./env.ts";
import { formatHostPort, type HostPort } from "./host-port.ts";

/** `cannot listen on host:port: <problem>`, from the error of net's listen or grpc-js's bindAsync. */
export class ListenError extends Error {
  constructor(address: HostPort, cause: unknown) {
    super(`cannot listen on ${formatHostPort(address)}: ${listenProblem(cause)}`, { cause });
    this.name = "ListenError";
  }
}

const systemErrors = new Map([...getSystemErrorMap().values()]);

/**
 * The problem in words. net says `listen EADDRINUSE: address already in use 127.0.0.1:50051`;
 * grpc-js wraps that in `No address added … errors: [listen EADDRINUSE: …]`, or says
 * `Name resolution failed for target …`.
 */
export function listenProblem(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  if (/\bENOTFOUND\b|\bEAI_AGAIN\b|Name resolution failed/.test(text)) return "host not found";
  const code = /\b(E[A-Z]{2,})\b/.exec(text)?.[1];
  return (code && systemErrors.get(code)) ?? text.replace(/\s+/g, " ");
}

/** Rethrows a ListenError as the EnvError of `variable`, which main prints as its one line. */
export const asEnvError =
  (variable: string) =>
  (err: unknown): never => {
    throw err instanceof ListenError ? new EnvError(variable, err.message) : err;
  };
