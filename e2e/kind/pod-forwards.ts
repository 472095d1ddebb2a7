/**
 * One port-forward per pod, checked before each use: a forward whose process exited, or whose
 * pod was replaced under the same name (a StatefulSet pod keeps its name), is started anew.
 */
import type { Forward } from "./port-forward.ts";

export interface PodForwardsDeps {
  /** The pod's current uid; rejects while the pod does not exist. */
  podUid(pod: string): Promise<string>;
  start(pod: string): Promise<Forward>;
}

export class PodForwards {
  readonly #deps: PodForwardsDeps;
  readonly #current = new Map<string, { uid: string; forward: Forward }>();
  /** The last lookup per pod: lookups of one pod run one at a time, so a pod never gets two forwards. */
  readonly #queue = new Map<string, Promise<number>>();
  #stopped = false;

  constructor(deps: PodForwardsDeps) {
    this.#deps = deps;
  }

  /** The local port that reaches `pod` now. */
  port(pod: string): Promise<number> {
    const previous = this.#queue.get(pod) ?? Promise.resolve(0);
    const next = previous.catch(() => 0).then(() => this.#lookup(pod));
    this.#queue.set(pod, next);
    return next;
  }

  async #lookup(pod: string): Promise<number> {
    const uid = await this.#deps.podUid(pod);
    const current = this.#current.get(pod);
    if (current?.uid === uid && current.forward.alive()) return current.forward.port;
    current?.forward.stop();
    this.#current.delete(pod);
    const forward = await this.#deps.start(pod);
    if (this.#stopped) {
      forward.stop();
      throw new Error(`port-forward to ${pod}: stopped`);
    }
    this.#current.set(pod, { uid, forward });
    return forward.port;
  }

  stopAll(): void {
    this.#stopped = true;
    for (const { forward } of this.#current.values()) forward.stop();
    this.#current.clear();
  }
}
