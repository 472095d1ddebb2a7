import { HttpMethod, RequestContext } from "@kubernetes/client-node";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { PooledKubeConfig } from "./pooled-kube-config.ts";

/** A kubeconfig against an https server with its own CA, as every cluster has. */
function pooledConfig(cluster: { caData?: string; caFile?: string }): PooledKubeConfig {
  const config = new PooledKubeConfig();
  config.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:6443", skipTLSVerify: false, ...cluster }],
    users: [{ name: "u", token: "secret" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return config;
}

async function dispatcherOf(config: PooledKubeConfig) {
  const context = new RequestContext("https://127.0.0.1:6443/api", HttpMethod.GET);
  await config.applySecurityAuthentication(context);
  expect(context.getHeaders().Authorization).toBe("Bearer secret");
  return context.getDispatcher();
}

const base64 = (text: string) => Buffer.from(text).toString("base64");

test("API calls share one connection pool", async () => {
  const config = pooledConfig({ caData: base64("ca one") });
  const first = await dispatcherOf(config);
  expect(first).toBeDefined();
  expect(await dispatcherOf(config)).toBe(first);
});

test("a changed CA file gets a new pool", async () => {
  const caFile = join(mkdtempSync(join(tmpdir(), "pooled-kube-config-")), "ca.crt");
  writeFileSync(caFile, "ca one");
  const config = pooledConfig({ caFile });
  const first = await dispatcherOf(config);
  expect(await dispatcherOf(config)).toBe(first);

  writeFileSync(caFile, "ca two");
  const second = await dispatcherOf(config);
  expect(second).not.toBe(first);
  expect(await dispatcherOf(config)).toBe(second);
});
