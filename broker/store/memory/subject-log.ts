/**
 * One subject's messages in the memory store, in segments of typed arrays and one body buffer
 * each instead of an object per message: the heap holds a handful of objects per thousand stored
 * messages, so a store of millions adds little to what the garbage collector marks and copies on
 * the thread that serves calls (docs/architecture.md#storage-and-group-commit). Ids ascend; the
 * oldest are evicted from the head. Reads hand out views of the stored bytes, never rewritten.
 */
import type { MessageRecord } from "../message-store.ts";

/**
 * Records per segment, and the body bytes past which a segment takes no more. A segment starts
 * small and doubles, so a subject of a few messages costs a few hundred bytes.
 */
const segmentRecords = 1024;
const segmentBodyBytes = 1 << 20;
const initialRecords = 8;
const initialBodyBytes = 512;

type Grown = Float64Array | Uint32Array | Uint8Array;

/** A larger array of the same kind holding the first `used` elements of `array`. */
function grown<T extends Grown>(array: T, length: number, used: number): T {
  const larger = new (array.constructor as new (length: number) => T)(length);
  larger.set(array.subarray(0, used));
  return larger;
}

class Segment {
  ids = new Float64Array(initialRecords);
  /** Epoch milliseconds; Infinity for a message that never expires. */
  expiresAt = new Float64Array(initialRecords);
  /** Where body i ends in `bodies`; it starts where body i - 1 ends. */
  bodyEnds = new Uint32Array(initialRecords);
  bodies = new Uint8Array(initialBodyBytes);
  /** Records appended; those before `head` are evicted. */
  count = 0;
  head = 0;

  get full(): boolean {
    return this.count === segmentRecords || this.#bodyStart(this.count) >= segmentBodyBytes;
  }

  get live(): number {
    return this.count - this.head;
  }

  idAt(index: number): number {
    return this.ids[index] ?? Number.NaN;
  }

  append(record: MessageRecord): void {
    if (this.count === this.ids.length) this.#growRecords();
    const start = this.#bodyStart(this.count);
    const end = start + record.body.byteLength;
    if (end > this.bodies.byteLength) {
      this.bodies = grown(this.bodies, Math.max(end, this.bodies.byteLength * 2), start);
    }
    this.bodies.set(record.body, start);
    this.ids[this.count] = record.id;
    this.expiresAt[this.count] = record.expiresAtMs ?? Number.POSITIVE_INFINITY;
    this.bodyEnds[this.count] = end;
    this.count += 1;
  }

  isLive(index: number, nowMs: number): boolean {
    return (this.expiresAt[index] ?? 0) > nowMs;
  }

  /** How many live records have expired at `nowMs`, read from the expiries alone. */
  expiredCount(nowMs: number): number {
    let expired = 0;
    for (let index = this.head; index < this.count; index += 1) {
      if (!this.isLive(index, nowMs)) expired += 1;
    }
    return expired;
  }

  record(subject: string, index: number): MessageRecord {
    const expiresAtMs = this.expiresAt[index] ?? Number.POSITIVE_INFINITY;
    return {
      subject,
      id: this.idAt(index),
      body: this.bodies.subarray(this.#bodyStart(index), this.bodyEnds[index]),
      expiresAtMs: expiresAtMs === Number.POSITIVE_INFINITY ? null : expiresAtMs,
    };
  }

  /** Index of the first live record with id >= `id` (`count` when none). */
  lowerBound(id: number): number {
    let low = this.head;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.idAt(mid) < id) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  #growRecords(): void {
    const length = Math.min(this.ids.length * 2, segmentRecords);
    this.ids = grown(this.ids, length, this.count);
    this.expiresAt = grown(this.expiresAt, length, this.count);
    this.bodyEnds = grown(this.bodyEnds, length, this.count);
  }

  #bodyStart(index: number): number {
    return index === 0 ? 0 : (this.bodyEnds[index - 1] ?? 0);
  }
}

export class SubjectLog {
  readonly #subject: string;
  #segments: Segment[] = [];
  #size = 0;

  constructor(subject: string) {
    this.#subject = subject;
  }

  get size(): number {
    return this.#size;
  }

  append(record: MessageRecord): void {
    let last = this.#segments.at(-1);
    if (last === undefined || last.full) {
      last = new Segment();
      this.#segments.push(last);
    }
    last.append(record);
    this.#size += 1;
  }

  evictOldest(count: number): void {
    let left = Math.min(count, this.#size);
    this.#size -= left;
    while (left > 0) {
      const first = this.#segments[0];
      if (first === undefined) return;
      const taken = Math.min(left, first.live);
      first.head += taken;
      left -= taken;
      if (first.live === 0) this.#segments.shift();
    }
  }

  get(id: number, nowMs: number): MessageRecord | undefined {
    const segment = this.#segments[this.#segmentFor(id)];
    if (segment === undefined) return undefined;
    const index = segment.lowerBound(id);
    return segment.idAt(index) === id && segment.isLive(index, nowMs)
      ? segment.record(this.#subject, index)
      : undefined;
  }

  /** Up to `limit` live records with id >= `fromId`, ascending. */
  range(fromId: number, limit: number, nowMs: number): MessageRecord[] {
    const found: MessageRecord[] = [];
    for (let s = this.#segmentFor(fromId); s < this.#segments.length; s += 1) {
      const segment = this.#segments[s];
      if (segment === undefined) break;
      for (let i = segment.lowerBound(fromId); i < segment.count; i += 1) {
        if (found.length === limit) return found;
        if (segment.isLive(i, nowMs)) found.push(segment.record(this.#subject, i));
      }
    }
    return found;
  }

  /**
   * Drops the records expired at `nowMs` and returns how many. Counting reads the expiries only, so
   * a log with nothing expired costs no allocation; one with some is copied without them.
   */
  purgeExpired(nowMs: number): number {
    const removed = this.#segments.reduce((sum, segment) => sum + segment.expiredCount(nowMs), 0);
    if (removed === 0) return 0;
    const live = this.range(Number.NEGATIVE_INFINITY, this.#size, nowMs);
    this.#segments = [];
    this.#size = 0;
    for (const record of live) this.append(record);
    return removed;
  }

  /** Index of the first segment whose last record has id >= `id`. */
  #segmentFor(id: number): number {
    let low = 0;
    let high = this.#segments.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const segment = this.#segments[mid];
      if (segment !== undefined && segment.idAt(segment.count - 1) < id) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
