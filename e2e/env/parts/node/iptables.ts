import { run } from "../../../../testing/run.ts";

/**
 * What the kubelet and kube-proxy leave in iptables after they stop: their
 * KUBE-* chains and the jumps into them from the built-in chains. kube-proxy
 * `--cleanup` removes its own; this removes the rest, and only KUBE-* rules,
 * which no other part of this machine writes.
 */

/** The `iptables -t <table>` argument lists that remove the KUBE-* rules of `rules` (`iptables -S` output). Pure. */
export function kubeChainCleanup(rules: string): string[][] {
  const lines = rules.split("\n").map((l) => l.trim());
  const chains = lines
    .filter((l) => l.startsWith("-N KUBE-"))
    .map((l) => l.split(" ")[1] ?? "")
    .filter(Boolean);
  const jumps = lines
    .filter((l) => l.startsWith("-A ") && / -j KUBE-\S+/.test(l))
    .filter((l) => !chains.includes(l.split(" ")[1] ?? ""))
    .map((l) => ["-D", ...splitRule(l.slice(3))]);
  return [...jumps, ...chains.map((c) => ["-F", c]), ...chains.map((c) => ["-X", c])];
}

/** `iptables -S` words; a quoted comment stays one argument, without its quotes. */
export function splitRule(rule: string): string[] {
  return [...rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? ""),
  );
}

export async function removeKubeChains(): Promise<void> {
  for (const table of ["filter", "nat", "mangle"]) {
    const rules = await run("iptables", ["-t", table, "-S"], { part: "node", remedy: "" }).catch(
      () => "",
    );
    for (const args of kubeChainCleanup(rules)) {
      await run("iptables", ["-t", table, ...args], { part: "node", remedy: "" }).catch(() => "");
    }
  }
}
