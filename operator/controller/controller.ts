import type { Logger } from "pino";
import type { ReconcileResult } from "./reconcile.ts";
import { ReconcileError } from "./reconcile.ts";
import type { WorkQueue } from "../../lib/kube/work-queue.ts";

export type ReconcileOutcome = "success" | "requeue" | "error";

export interface ControllerOptions {
  queue: WorkQueue;
  reconcile: (key: string) => Promise<ReconcileResult>;
  /** Keys reconciled at once; one key is never reconciled twice at once regardless. */
  workers: number;
  log: Logger;
  onReconciled?: (outcome: ReconcileOutcome, seconds: number) => void;
}

/**
 * Runs reconciles off the work queue with controller-runtime's result handling: success forgets
 * the key's backoff, requeueAfter schedules another look, an error retries with backoff.
 */
export class Controller {
  readonly #options: ControllerOptions;
  #workers: Promise<void>[] = [];

  constructor(options: ControllerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#workers = Array.from({ length: this.#options.workers }, () => this.#work());
  }

  /** Takes no new keys, lets queued and running reconciles finish, and resolves when they have. */
  async stop(): Promise<void> {
    await this.#options.queue.shutDownWithDrain();
    await Promise.all(this.#workers);
  }

  async #work(): Promise<void> {
    const { queue } = this.#options;
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await this.#process(key);
      } finally {
        queue.done(key);
      }
    }
  }

  async #process(key: string): Promise<void> {
    const { queue, reconcile, log, onReconciled } = this.#options;
    const started = performance.now();
    let outcome: ReconcileOutcome;
    try {
      const result = await reconcile(key);
      queue.forget(key);
      if (result.requeueAfterMs !== undefined) {
        queue.addAfter(key, result.requeueAfterMs);
        outcome = "requeue";
      } else {
        outcome = "success";
      }
    } catch (err) {
      queue.addRateLimited(key);
      outcome = "error";
      // A ReconcileError is already in the status and logged where it happened.
      if (!(err instanceof ReconcileError)) log.error({ err, broker: key }, "reconcile failed");
    }
    onReconciled?.(outcome, (performance.now() - started) / 1000);
  }
}
