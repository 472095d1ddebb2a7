import { describe, expect, test } from "vitest";
import { kubeChainCleanup, splitRule } from "./iptables.ts";

describe("kubeChainCleanup", () => {
  test("deletes jumps from built-in chains, then flushes and deletes the KUBE-* chains", () => {
    const rules = [
      "-P INPUT ACCEPT",
      "-N KUBE-FIREWALL",
      "-N OTHER",
      "-A INPUT -j KUBE-FIREWALL",
      "-A INPUT -s 10.0.0.0/8 -j OTHER",
      '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -j DROP',
    ].join("\n");
    expect(kubeChainCleanup(rules)).toEqual([
      ["-D", "INPUT", "-j", "KUBE-FIREWALL"],
      ["-F", "KUBE-FIREWALL"],
      ["-X", "KUBE-FIREWALL"],
    ]);
  });

  test("leaves a table without KUBE-* chains alone", () => {
    expect(kubeChainCleanup("-P FORWARD ACCEPT\n-N DOCKER\n-A FORWARD -j DOCKER\n")).toEqual([]);
  });
});

test("splitRule keeps a quoted comment as one argument", () => {
  expect(splitRule('OUTPUT -m comment --comment "a \\"b\\" c" -j KUBE-X')).toEqual([
    "OUTPUT",
    "-m",
    "comment",
    "--comment",
    'a "b" c',
    "-j",
    "KUBE-X",
  ]);
});
