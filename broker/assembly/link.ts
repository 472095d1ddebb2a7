/**
 * A call into a component that a later assembly stage builds. The broker's
 * components depend on each other in cycles (ownership flushes the publisher,
 * the publisher asks ownership to admit); a stage declares the link it calls
 * and the stage that builds the target connects it, so no stage reaches for a
 * component declared after it.
 */
export interface Link<A extends unknown[], R> {
  /** Calls the connected target. */
  readonly call: (...args: A) => R;
  connect(target: (...args: A) => R): void;
}

export function link<A extends unknown[], R>(name: string): Link<A, R> {
  let target: ((...args: A) => R) | undefined;
  return {
    call: (...args) => {
      // Every link is connected before the broker starts serving: this is a wiring bug.
      if (target === undefined) throw new Error(`${name} was called before it was connected`);
      return target(...args);
    },
    connect: (next) => {
      if (target !== undefined) throw new Error(`${name} is already connected`);
      target = next;
    },
  };
}
