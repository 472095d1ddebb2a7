/**
 * Group commit for reads: lookups that arrive while one query runs wait and go together in the
 * next, so a burst of N lookups costs a few queries and one connection instead of N queries
 * queueing for a small pool (where the wait for a connection, not the store, would time them out).
 */
export class LookupBatcher<Request, Answer> {
  readonly #run: (requests: readonly Request[]) => Promise<readonly (Answer | undefined)[]>;
  readonly #maxBatch: number;
  #queue: {
    request: Request;
    resolve: (answer: Answer | undefined) => void;
    reject: (err: unknown) => void;
  }[] = [];
  #running = false;

  /** `run` answers a batch in request order, undefined where a request has no answer. */
  constructor(
    run: (requests: readonly Request[]) => Promise<readonly (Answer | undefined)[]>,
    maxBatch: number,
  ) {
    this.#run = run;
    this.#maxBatch = maxBatch;
  }

  lookup(request: Request): Promise<Answer | undefined> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    // One turn first, so the lookups of calls that arrived together share the first query.
    await Promise.resolve();
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      try {
        const answers = await this.#run(batch.map((entry) => entry.request));
        batch.forEach((entry, index) => entry.resolve(answers[index]));
      } catch (err) {
        for (const entry of batch) entry.reject(err);
      }
    }
    this.#running = false;
  }
}
