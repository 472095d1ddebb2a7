import { beforeAll, describe, expect, test } from "vitest";
import { stringify } from "yaml";
import { cacheDir } from "./paths.ts";
import { checkEnvoyConfig, ensureEnvoyCheck } from "./envoy-check.ts";

// A cold build compiles go-control-plane's few hundred packages: minutes on
// a busy two-core machine, once per checker version.
const BUILD_TIMEOUT = 900_000;

const HCM =
  "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const LOCAL_RATELIMIT =
  "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";
const ROUTER = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";

const hundredPercent = (key: string) => ({
  runtime_key: key,
  default_value: { numerator: 100, denominator: "HUNDRED" },
});

/** The smallest bootstrap of the shape Herald runs: local_ratelimit in front of a gRPC broker. */
function bootstrap() {
  return {
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: 9901 } } },
    static_resources: {
      listeners: [
        {
          name: "grpc",
          address: { socket_address: { address: "0.0.0.0", port_value: 8080 } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": HCM,
                    stat_prefix: "ingress",
                    route_config: {
                      name: "local",
                      virtual_hosts: [
                        {
                          name: "broker",
                          domains: ["*"],
                          routes: [
                            {
                              match: { prefix: "/", grpc: {} },
                              route: { cluster: "broker", timeout: "0s" },
                            },
                          ],
                        },
                      ],
                    },
                    http_filters: [
                      {
                        name: "envoy.filters.http.local_ratelimit",
                        typed_config: {
                          "@type": LOCAL_RATELIMIT,
                          stat_prefix: "http_local_rate_limiter",
                          token_bucket: {
                            max_tokens: 200,
                            tokens_per_fill: 100,
                            fill_interval: "1s",
                          },
                          filter_enabled: hundredPercent("local_rate_limit_enabled"),
                          filter_enforced: hundredPercent("local_rate_limit_enforced"),
                        },
                      },
                      { name: "envoy.filters.http.router", typed_config: { "@type": ROUTER } },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        {
          name: "broker",
          type: "STATIC",
          connect_timeout: "1s",
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: {
            cluster_name: "broker",
            endpoints: [
              {
                lb_endpoints: [
                  {
                    endpoint: {
                      address: { socket_address: { address: "127.0.0.1", port_value: 50051 } },
                    },
                  },
                ],
              },
            ],
          },
        },
      ],
    },
  };
}

type Bootstrap = ReturnType<typeof bootstrap>;

// Paths into the fixture, for the tests that break one thing.
const HCM_PATH = "static_resources.listeners[0].filter_chains[0].filters[0].typed_config";
const hcmOf = (b: Bootstrap) =>
  b.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config;
const rateLimitOf = (b: Bootstrap) =>
  hcmOf(b).http_filters[0]!.typed_config as Record<string, unknown>;

/** The fixture with one change, as YAML. */
function broken(change: (b: Bootstrap) => void): string {
  const b = bootstrap();
  change(b);
  return stringify(b);
}

beforeAll(async () => {
  await ensureEnvoyCheck();
}, BUILD_TIMEOUT);

describe("ensureEnvoyCheck", () => {
  test("builds once into the cache, keyed by a hash of the checker's module", async () => {
    const path = await ensureEnvoyCheck();
    expect(path.startsWith(cacheDir)).toBe(true);
    expect(path).toMatch(/\/envoy-check-[0-9a-f]{12}\/envoy-check$/);
    expect(await ensureEnvoyCheck()).toBe(path);
  });
});

describe("checkEnvoyConfig", () => {
  test("accepts a minimal bootstrap with local_ratelimit in front of the broker", async () => {
    expect(await checkEnvoyConfig(stringify(bootstrap()))).toEqual({ ok: true, violations: [] });
  });

  test("refuses a negative token bucket max_tokens, naming the field inside the typed_config", async () => {
    const result = await checkEnvoyConfig(
      broken((b) => ((rateLimitOf(b).token_bucket as Record<string, unknown>).max_tokens = -1)),
    );
    expect(result.ok).toBe(false);
    expect(result.violations).toEqual([
      expect.stringMatching(
        /^static_resources\.listeners\[0\].*\.http_filters\[0\]\.typed_config\.token_bucket\.max_tokens: .*-1/,
      ),
    ]);
  });

  test("applies the validation rules of messages packed in an Any", async () => {
    // Parses fine; only the rule `tokens_per_fill > 0` catches it.
    const result = await checkEnvoyConfig(
      broken((b) => ((rateLimitOf(b).token_bucket as Record<string, unknown>).tokens_per_fill = 0)),
    );
    expect(result.violations).toEqual([
      `${HCM_PATH}.http_filters[0].typed_config.token_bucket.tokens_per_fill: value must be greater than 0`,
    ]);
  });

  test("refuses a cluster without a name", async () => {
    const result = await checkEnvoyConfig(
      broken((b) => delete (b.static_resources.clusters[0] as { name?: string }).name),
    );
    expect(result.violations).toContain(
      "static_resources.clusters[0].name: value length must be at least 1 runes",
    );
  });

  test("refuses a typed_config of a type Envoy does not know", async () => {
    const result = await checkEnvoyConfig(
      broken((b) => (rateLimitOf(b)["@type"] = `${LOCAL_RATELIMIT}Typo`)),
    );
    expect(result.violations).toEqual([
      `${HCM_PATH}.http_filters[0].typed_config.@type: unknown type "${LOCAL_RATELIMIT}Typo" (not an Envoy v3 config or extension type)`,
    ]);
  });

  test("refuses a field the type does not have", async () => {
    const result = await checkEnvoyConfig(broken((b) => (rateLimitOf(b).requests_per_second = 5)));
    expect(result.violations).toEqual([
      expect.stringMatching(
        /\.http_filters\[0\]\.typed_config\.requests_per_second: unknown field/,
      ),
    ]);
  });

  test("refuses what Envoy refuses at load: a route to an undefined cluster, a router that is not last", async () => {
    const result = await checkEnvoyConfig(
      broken((b) => {
        const hcm = hcmOf(b);
        hcm.route_config.virtual_hosts[0]!.routes[0]!.route.cluster = "brokr";
        hcm.http_filters.reverse();
      }),
    );
    expect(result.ok).toBe(false);
    expect(result.violations).toEqual([
      expect.stringMatching(/\.http_filters\[0\]: the router .* must be the last HTTP filter$/),
      expect.stringMatching(
        /\.http_filters\[1\]: the last HTTP filter is "envoy\.filters\.http\.local_ratelimit"/,
      ),
      `${HCM_PATH}.route_config.virtual_hosts[0].routes[0].route.cluster: unknown cluster "brokr" (not in static_resources.clusters)`,
    ]);
  });

  test("reports a YAML syntax error on one line", async () => {
    const result = await checkEnvoyConfig("static_resources: [\n  - a: 1\n");
    expect(result.ok).toBe(false);
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]).toMatch(/^input: not YAML: /);
  });
});
