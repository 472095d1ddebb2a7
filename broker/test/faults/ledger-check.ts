/**
 * The final check of a fault case: every subject read back from id 1, against the ledger of what was
 * acknowledged. Lost: an acknowledged (id, body) not stored. Duplicated: a key stored more than once
 * (the key opens each body, since a read answers no key).
 */
import { HeraldClient, type HeraldClientOptions } from "../../client/herald-client.ts";
import type { AckedMessage } from "./mixed-load.ts";

export interface LedgerCheck {
  readonly acked: number;
  readonly lost: readonly AckedMessage[];
  /** Stored copies beyond the first, per key. */
  readonly duplicated: number;
  /** Keys stored more than once, with where, for the failure message. */
  readonly duplicatedKeys: readonly StoredKey[];
}

export interface StoredKey {
  readonly key: string;
  readonly subject: string;
  readonly ids: readonly number[];
  /** The id its publish was acknowledged with, if it was. */
  readonly ackedId: number | undefined;
}

const keyOf = (body: string) => body.slice(0, body.indexOf("|"));

/** Every message stored on `subject` below the end marker it publishes now. */
async function readBack(client: HeraldClient, subject: string): Promise<Map<number, string>> {
  const endId = await client.publish(subject, "end of the check|");
  const stored = new Map<number, string>();
  const signal = AbortSignal.timeout(30_000);
  for await (const message of client.subscribe(subject, { startId: 1, resume: true, signal })) {
    if (message.id >= endId) return stored;
    stored.set(message.id, message.body.toString("utf8"));
  }
  throw new Error(`read back of ${subject} ended before id ${endId} (${stored.size} read)`);
}

export async function checkLedger(
  address: string,
  subjects: readonly string[],
  acked: readonly AckedMessage[],
  clientOptions: HeraldClientOptions = {},
): Promise<LedgerCheck> {
  const client = new HeraldClient(address, {
    ...clientOptions,
    callTimeoutMs: 10_000,
    publishAttempts: 10,
  });
  try {
    const lost: AckedMessage[] = [];
    const stored: StoredKey[] = [];
    const ackedIds = new Map(acked.map((message) => [message.key, message.id]));
    for (const subject of subjects) {
      const bodies = await readBack(client, subject);
      const idsByKey = new Map<string, number[]>();
      for (const [id, body] of bodies) {
        const ids = idsByKey.get(keyOf(body)) ?? [];
        idsByKey.set(keyOf(body), [...ids, id]);
      }
      for (const [key, ids] of idsByKey)
        stored.push({ key, subject, ids, ackedId: ackedIds.get(key) });
      for (const message of acked) {
        if (message.subject === subject && bodies.get(message.id) !== message.body)
          lost.push(message);
      }
    }
    const duplicatedKeys = stored.filter(({ ids }) => ids.length > 1);
    const duplicated = duplicatedKeys.reduce((sum, { ids }) => sum + ids.length - 1, 0);
    return { acked: acked.length, lost, duplicated, duplicatedKeys };
  } finally {
    client.close();
  }
}
