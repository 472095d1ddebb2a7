/**
 * JSON logs (pino). Message bodies and store credentials are never logged;
 * the redaction list is a backstop for fields that might carry them.
 */
import { pino, type Logger } from "pino";
import type { LogLevel } from "./config.ts";

export type { Logger };

export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: "herald-broker" },
    redact: {
      paths: [
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
      ],
      censor: "[redacted]",
    },
  });
}
