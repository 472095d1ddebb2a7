import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { cniConflist } from "./cni.ts";
import { containerdConfig, runcWrapper } from "./containerd.ts";
import { apiServerArgs, kubeletConfig, proxyConfig } from "./flags.ts";
import { network, paths } from "./layout.ts";
import { pkiPaths } from "../kube/pki.ts";

describe("the pod network", () => {
  const Conflist = z.object({
    plugins: z.array(
      z.object({
        type: z.string(),
        ipMasq: z.boolean(),
        ipam: z.object({ routes: z.array(z.object({ dst: z.string() })) }),
      }),
    ),
  });
  const [bridge] = Conflist.parse(JSON.parse(cniConflist())).plugins;

  test("masquerades nothing and routes only the Service range, no default route", () => {
    expect(bridge?.type).toBe("bridge");
    expect(bridge?.ipMasq).toBe(false);
    expect(bridge?.ipam.routes).toEqual([{ dst: network.serviceCidr }]);
  });

  test("kube-proxy serves NodePorts on the bridge address only", () => {
    expect(parse(proxyConfig())).toMatchObject({
      mode: "iptables",
      nodePortAddresses: [`${network.nodeIp}/32`],
    });
  });
});

test("the kubelet listens on the bridge address and refuses anonymous requests", () => {
  expect(parse(kubeletConfig("/ca.crt"))).toMatchObject({
    address: network.nodeIp,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true } },
    authorization: { mode: "Webhook" },
    cgroupDriver: "cgroupfs",
  });
});

test("the API server binds the bridge address and reaches kubelets by InternalIP with a client certificate", () => {
  const args = apiServerArgs(pkiPaths("/pki"), { cert: "/c.crt", key: "/c.key" });
  expect(args).toContain(`--bind-address=${network.nodeIp}`);
  expect(args).toContain("--kubelet-preferred-address-types=InternalIP");
  expect(args).toContain("--kubelet-client-certificate=/c.crt");
});

test("containerd runs runc through the wrapper, on its own socket", () => {
  const config = containerdConfig();
  expect(config).toContain(`BinaryName = ${JSON.stringify(paths.runcWrapper)}`);
  expect(config).toContain(`address = ${JSON.stringify(paths.containerdSocket)}`);
});

test("the runc wrapper drops process.oomScoreAdj and passes every argument on", () => {
  const dir = mkdtempSync(join(tmpdir(), "runc-wrapper-"));
  const bundle = join(dir, "bundle");
  execFileSync("mkdir", [bundle]);
  writeFileSync(
    join(bundle, "config.json"),
    JSON.stringify({ process: { oomScoreAdj: -998, args: ["/pause"] } }),
  );
  const fakeRunc = join(dir, "runc");
  writeFileSync(fakeRunc, '#!/bin/sh\necho "$@"\n');
  chmodSync(fakeRunc, 0o755);
  const wrapper = join(dir, "wrapper");
  writeFileSync(wrapper, runcWrapper(fakeRunc, "jq"));
  chmodSync(wrapper, 0o755);
  const out = execFileSync(wrapper, ["create", "--bundle", bundle, "id1"], { encoding: "utf8" });
  expect(out.trim()).toBe(`create --bundle ${bundle} id1`);
  expect(JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"))).toEqual({
    process: { args: ["/pause"] },
  });
});
