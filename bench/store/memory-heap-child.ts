/**
 * Run by memory-heap.ts as `node --expose-gc memory-heap-child.ts <messages> <bodyBytes>`, in a
 * fresh process so nothing else is on its heap: stores that many messages in the memory store,
 * spread over 64 subjects, then prints one JSON line with the full GC's pause (median of 5) and
 * the heap and RSS that hold them.
 */
import { MemoryStore } from "../../broker/store/memory/memory-store.ts";
import type { MessageRecord } from "../../broker/store/message-store.ts";

const subjects = 64;
const batchSize = 500;
const gcRounds = 5;

const [messages = 0, bodyBytes = 0] = process.argv.slice(2).map(Number);
const collect = globalThis.gc;
if (collect === undefined) throw new Error("run with --expose-gc");

const store = new MemoryStore({ maxMessagesPerSubject: messages });
await store.open();
const lastIds = new Array<number>(subjects).fill(0);
const batch: MessageRecord[] = [];
for (let n = 0; n < messages; n += 1) {
  const subject = n % subjects;
  lastIds[subject] = (lastIds[subject] ?? 0) + 1;
  batch.push({
    subject: `load-${subject}`,
    id: lastIds[subject] ?? 0,
    body: new Uint8Array(bodyBytes).fill(n & 0xff),
    expiresAtMs: null,
  });
  if (batch.length === batchSize) {
    await store.appendBatch(batch.splice(0));
  }
}
await store.appendBatch(batch.splice(0));

const pauses: number[] = [];
for (let round = 0; round < gcRounds; round += 1) {
  const started = performance.now();
  collect();
  pauses.push(performance.now() - started);
}
pauses.sort((a, b) => a - b);
const usage = process.memoryUsage();
const mib = (bytes: number) => bytes / 2 ** 20;
process.stdout.write(
  `${JSON.stringify({
    messages,
    bodyBytes,
    subjects,
    fullGcMs: pauses[Math.floor(gcRounds / 2)],
    heapUsedMiB: mib(usage.heapUsed),
    rssMiB: mib(usage.rss),
  })}\n`,
);
