/**
 * The one pino logger factory of both programs: JSON logs with the redaction list.
 * Message bodies and credentials are never logged on purpose; the list is a
 * backstop for fields that might carry them (the operator reads Secrets, the
 * broker holds store credentials and, with authentication, bearer tokens).
 */
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

const redactedPaths = [
  "body",
  "*.body",
  "request.body",
  "messages[*].body",
  "url",
  "*.url",
  "password",
  "*.password",
  "username",
  "*.username",
  "credentials",
  "*.credentials",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "token",
  "*.token",
  "connectionString",
  "*.connectionString",
  "data",
  "*.data",
  "stringData",
  "*.stringData",
];

/** `service` names the program in every line (herald-broker, herald-operator); logs go to stdout. */
export function createLogger(
  service: string,
  level: LogLevel,
  destination: DestinationStream = pino.destination(1),
): Logger {
  return pino(
    { level, base: { service }, redact: { paths: redactedPaths, censor: "[redacted]" } },
    destination,
  );
}
