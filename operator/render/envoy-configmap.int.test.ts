import type { V1ConfigMap } from "@kubernetes/client-node";
import { beforeAll, describe, expect, test } from "vitest";
import { checkEnvoyConfig, ensureEnvoyCheck } from "../../testing/envoy-check.ts";
import { envoyConfigKey, envoySdsResources } from "./envoy-configmap.ts";
import { childNames, renderChildren } from "./index.ts";
import { brokerFixture, contextFixture } from "../test/fixtures.ts";

// Envoy cannot run here, so the sidecar's bootstrap is held to go-control-plane's
// protos and validation rules instead (a cold build of the checker takes minutes).
beforeAll(async () => {
  await ensureEnvoyCheck();
}, 900_000);

/** The Envoy bootstrap exactly as the operator would apply it, via the list of children. */
function renderedEnvoyConfig(requestsPerSecond: number, burst: number, tls = true): string {
  const broker = brokerFixture({
    rateLimit: { enabled: true, requestsPerSecond, burst },
    tls: { enabled: tls },
    auth: { enabled: tls },
  });
  const name = childNames(broker).envoyConfig;
  const configMap = renderChildren(broker, contextFixture()).find(
    (c): c is V1ConfigMap => c.kind === "ConfigMap" && c.metadata?.name === name,
  );
  const text = configMap?.data?.[envoyConfigKey];
  if (text === undefined) throw new Error(`no ConfigMap ${name} with key ${envoyConfigKey}`);
  return text;
}

describe("the rendered Envoy sidecar bootstrap", () => {
  test.each([
    { requestsPerSecond: 1, burst: 1 },
    { requestsPerSecond: 1000, burst: 2000 },
    { requestsPerSecond: 250, burst: 100_000 },
    // The CRD's ceiling (int32) fits Envoy's uint32 token bucket.
    { requestsPerSecond: 2_147_483_647, burst: 2_147_483_647 },
  ])(
    "passes the offline Envoy check at $requestsPerSecond rps, burst $burst",
    async ({ requestsPerSecond, burst }) => {
      const text = renderedEnvoyConfig(requestsPerSecond, burst);
      expect(text).toContain(`max_tokens: ${burst}`);
      expect(await checkEnvoyConfig(text)).toEqual({ ok: true, violations: [] });
    },
  );

  test("passes without TLS too", async () => {
    expect(await checkEnvoyConfig(renderedEnvoyConfig(100, 200, false))).toEqual({
      ok: true,
      violations: [],
    });
  });

  test("holds SDS resources Envoy accepts as TLS secrets", async () => {
    // The checker reads bootstraps; the same Secret messages are valid as static secrets.
    const { certificate, trust } = envoySdsResources();
    const asStatic = ({ "@type": _type, ...secret }: Record<string, unknown>) => secret;
    const bootstrap = { static_resources: { secrets: [asStatic(certificate), asStatic(trust)] } };
    expect(await checkEnvoyConfig(JSON.stringify(bootstrap))).toEqual({ ok: true, violations: [] });
  });
});
