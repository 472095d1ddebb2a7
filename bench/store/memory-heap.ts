/**
 * What the memory store's stored messages cost the broker's garbage collector: for each message
 * count, a fresh process (memory-heap-child.ts) stores them and reports the full GC's pause and
 * the heap and RSS that hold them (bench/README.md).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { type MemoryHeapPoint, MemoryHeapPointSchema } from "../report/schema.ts";

const child = join(import.meta.dirname, "memory-heap-child.ts");

export async function memoryStoreHeap(
  counts: readonly number[],
  bodyBytes: number,
): Promise<MemoryHeapPoint[]> {
  const points: MemoryHeapPoint[] = [];
  for (const messages of counts) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--expose-gc", child, String(messages), String(bodyBytes)],
      { timeout: 120_000 },
    );
    points.push(MemoryHeapPointSchema.parse(JSON.parse(stdout)));
  }
  return points;
}
