/**
 * Time bounds of the store guard's calls (store-guard.ts) with one timer between them. Every
 * call bounded here has the same timeout, so deadlines fall in call order: a timer armed for the
 * oldest call still running replaces a timer set and cleared per call, which an idle broker paid
 * on every publish (each one is its own store write).
 */
interface Running {
  readonly dueMs: number;
  done: boolean;
  readonly expire: () => void;
}

/** Past this many finished calls at the front, the queue is compacted. */
const compactAfter = 1024;

export class Deadlines {
  readonly #timeoutMs: number;
  /** Calls by deadline, from `#head`; finished ones leave when they reach the front. */
  #running: Running[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** What `run` settles with, or the rejection `timedOut` makes once the timeout passed first. */
  bound<T>(run: () => Promise<T>, timedOut: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const running: Running = {
        dueMs: performance.now() + this.#timeoutMs,
        done: false,
        expire: () => reject(timedOut()),
      };
      this.#running.push(running);
      if (this.#timer === undefined) this.#timer = this.#arm(this.#timeoutMs);
      Promise.resolve()
        .then(run)
        .then(resolve, reject)
        .finally(() => {
          running.done = true;
          this.#dropFinished();
        });
    });
  }

  #arm(delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.#expire(), delayMs);
    // A call still running keeps the process alive by its own I/O, not by its deadline.
    timer.unref();
    return timer;
  }

  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (let next = this.#running[this.#head]; next !== undefined;) {
      if (!next.done) {
        if (next.dueMs > now) break;
        next.done = true;
        next.expire();
      }
      next = this.#running[++this.#head];
    }
    this.#compact();
    const oldest = this.#running[this.#head];
    if (oldest !== undefined) this.#timer = this.#arm(Math.max(1, oldest.dueMs - now));
  }

  /** Calls usually finish in order: the front moves past them as they do. */
  #dropFinished(): void {
    while (this.#running[this.#head]?.done === true) this.#head += 1;
    this.#compact();
  }

  #compact(): void {
    if (this.#head === this.#running.length) {
      this.#running = [];
      this.#head = 0;
    } else if (this.#head > compactAfter) {
      this.#running = this.#running.slice(this.#head);
      this.#head = 0;
    }
  }
}
