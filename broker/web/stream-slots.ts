/**
 * The bound on the gateway's open streams (HERALD_WEB_MAX_STREAMS): event streams, WebSockets and
 * each subscription or consumer on a WebSocket take one each, since each holds buffers.
 */
import { GatewayRefusalError } from "../errors.ts";

export class StreamSlots {
  readonly #max: number;
  #open = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get open(): number {
    return this.#open;
  }

  /** Takes a slot and returns its release (idempotent); throws 503 when every slot is taken. */
  acquire(): () => void {
    if (this.#open >= this.#max) {
      throw new GatewayRefusalError(
        503,
        `the gateway has ${this.#max} open streams, its maximum (HERALD_WEB_MAX_STREAMS); retry later`,
      );
    }
    this.#open++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open--;
    };
  }
}
