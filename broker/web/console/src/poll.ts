/** A view's data, loaded now and again every `intervalMs` while the view is shown. */
import { useEffect, useState } from "preact/hooks";

export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: unknown;
}

export function usePoll<T>(load: () => Promise<T>, intervalMs: number): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: undefined, error: undefined });
  useEffect(() => {
    let stopped = false;
    const refresh = () =>
      load().then(
        (data) => stopped || setState({ data, error: undefined }),
        (error: unknown) => stopped || setState((previous) => ({ data: previous.data, error })),
      );
    void refresh();
    const timer = setInterval(() => void refresh(), intervalMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [load, intervalMs]);
  return state;
}
