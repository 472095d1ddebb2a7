import { execFile } from "node:child_process";

/**
 * kubectl for a provider: `kubectl <base…> -n <namespace> <args…>`, resolving stdout and
 * rejecting with stderr when it fails or outlives `timeoutMs`.
 */
export function kubectlRunner(
  kubectl: string,
  base: readonly string[],
  timeoutMs = 180_000,
): (namespace: string, args: readonly string[], stdin?: string) => Promise<string> {
  return (namespace, args, stdin) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile(
        kubectl,
        [...base, "-n", namespace, ...args],
        { maxBuffer: 16 << 20, timeout: timeoutMs },
        (err, stdout, stderr) =>
          err
            ? reject(new Error(`kubectl ${args.join(" ")}: ${stderr || err.message}`))
            : resolve(stdout),
      );
      // kubectl may exit without reading stdin; its exit status reports any failure.
      child.stdin?.on("error", () => undefined);
      child.stdin?.end(stdin);
    });
}
