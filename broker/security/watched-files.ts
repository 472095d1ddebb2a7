/**
 * Files the broker reloads without a restart (certificates, the auth file, a JWKS). Changes are
 * noticed two ways: a directory watch (debounced, since writers touch a file several times) for
 * speed, and a poll every `intervalMs` as the bound, because a watch can miss a change (Kubernetes
 * swaps a mounted Secret's files through a symlink rename). A change is applied only when the
 * content differs, and a set that fails to apply leaves the previous one in force.
 */
import { type FSWatcher, watch } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";

export interface WatchOptions {
  /** The longest a change goes unnoticed. */
  readonly intervalMs: number;
  /** Applies the contents, in the order of the paths; throws to refuse them. */
  readonly apply: (contents: readonly Buffer[]) => void;
  /** A changed set that could not be read or applied; the previous one stays. */
  readonly onError: (err: unknown) => void;
}

export interface WatchedFiles {
  close(): void;
}

const debounceMs = 100;

const readAll = (paths: readonly string[]) => Promise.all(paths.map((path) => readFile(path)));

const sameContents = (a: readonly Buffer[], b: readonly Buffer[]) =>
  a.length === b.length && a.every((content, index) => b[index]?.equals(content) === true);

/** Reads and applies the files once (throwing what a bad first set throws), then follows them. */
export async function watchFiles(
  paths: readonly string[],
  options: WatchOptions,
): Promise<WatchedFiles> {
  let current = await readAll(paths);
  options.apply(current);
  let closed = false;
  let checking = false;
  let again = false;
  let debounce: NodeJS.Timeout | undefined;

  const check = async () => {
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      const next = await readAll(paths);
      if (!closed && !sameContents(current, next)) {
        options.apply(next);
        current = next;
      }
    } catch (err) {
      if (!closed) options.onError(err);
    } finally {
      checking = false;
      if (again && !closed) {
        again = false;
        void check();
      }
    }
  };
  const soon = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void check(), debounceMs);
    debounce.unref();
  };

  const poll = setInterval(() => void check(), options.intervalMs);
  poll.unref();
  const watchers: FSWatcher[] = [...new Set(paths.map((path) => dirname(path)))].flatMap(
    (directory) => {
      try {
        const watcher = watch(directory, { persistent: false }, soon);
        // A watch that fails later (directory gone) leaves the poll to notice changes.
        watcher.on("error", () => watcher.close());
        return [watcher];
      } catch {
        return [];
      }
    },
  );
  return {
    close: () => {
      closed = true;
      clearInterval(poll);
      clearTimeout(debounce);
      for (const watcher of watchers) watcher.close();
    },
  };
}
