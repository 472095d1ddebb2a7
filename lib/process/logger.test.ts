import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

/** The one JSON line a logger writes for `write`. */
function logged(write: (log: ReturnType<typeof createLogger>) => void): Record<string, unknown> {
  const lines: string[] = [];
  write(createLogger("herald-operator", "info", { write: (line: string) => lines.push(line) }));
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? "") as Record<string, unknown>;
}

describe("createLogger", () => {
  it("names the program and redacts credentials, Secret data and message bodies", () => {
    const line = logged((log) =>
      log.info(
        {
          secret: { data: { password: "c2VjcmV0" }, stringData: { token: "t" } },
          store: { url: "postgres://user:pw@db/herald", password: "pw" },
          message: { body: "private", subject: "orders" },
          authorization: "Bearer abc",
        },
        "reconciled",
      ),
    );
    expect(line).toMatchObject({
      service: "herald-operator",
      msg: "reconciled",
      secret: { data: "[redacted]", stringData: "[redacted]" },
      store: { url: "[redacted]", password: "[redacted]" },
      message: { body: "[redacted]", subject: "orders" },
      authorization: "[redacted]",
    });
  });
});
