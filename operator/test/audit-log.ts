import { open, stat } from "node:fs/promises";
import { z } from "zod";

const writeVerbs = new Set(["create", "update", "patch", "delete", "deletecollection"]);

const auditEventSchema = z.looseObject({
  stage: z.string(),
  verb: z.string(),
  user: z.looseObject({ username: z.string() }),
  objectRef: z
    .looseObject({
      resource: z.string().optional(),
      subresource: z.string().optional(),
      namespace: z.string().optional(),
      name: z.string().optional(),
    })
    .optional(),
});

export type AuditEvent = z.infer<typeof auditEventSchema>;

/** A position in the API server's audit log, to read what happened after it. */
export async function auditMark(file: string): Promise<number> {
  return (await stat(file)).size;
}

/** Write requests (create, update, patch, delete) `username` made since `mark`. */
export async function writesSince(
  file: string,
  mark: number,
  username: string,
): Promise<AuditEvent[]> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, size - mark));
    await handle.read(buffer, 0, buffer.length, mark);
    return buffer
      .toString("utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .flatMap((line) => {
        const parsed = auditEventSchema.safeParse(JSON.parse(line));
        return parsed.success ? [parsed.data] : [];
      })
      .filter(
        (event) =>
          event.stage === "ResponseComplete" &&
          writeVerbs.has(event.verb) &&
          event.user.username === username,
      );
  } finally {
    await handle.close();
  }
}

export function describeWrite(event: AuditEvent): string {
  const ref = event.objectRef ?? {};
  const sub = ref.subresource ? `/${ref.subresource}` : "";
  return `${event.verb} ${ref.resource ?? ""}${sub} ${ref.namespace ?? ""}/${ref.name ?? ""}`;
}
