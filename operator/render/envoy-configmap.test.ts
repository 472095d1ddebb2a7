import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { envoyConfigKey, renderEnvoyConfigMap } from "./envoy-configmap.ts";
import { brokerFixture, plaintextSpec } from "../test/fixtures.ts";

interface Bootstrap {
  admin: { address: { socket_address: { address: string; port_value: number } } };
  static_resources: {
    listeners: {
      address: { socket_address: { address: string; port_value: number } };
      filter_chains: { filters: { typed_config: HttpConnectionManager }[] }[];
    }[];
    clusters: {
      name: string;
      typed_extension_protocol_options: Record<string, { explicit_http_config: object }>;
      load_assignment: {
        endpoints: { lb_endpoints: { endpoint: { address: { socket_address: object } } }[] }[];
      };
    }[];
  };
}
interface HttpConnectionManager {
  codec_type: string;
  stream_idle_timeout: string;
  route_config: {
    virtual_hosts: { routes: { match: object; route: { cluster: string; timeout: string } }[] }[];
  };
  http_filters: { name: string; typed_config: Record<string, unknown> }[];
}

function bootstrap(): Bootstrap {
  const broker = brokerFixture({
    ...plaintextSpec,
    rateLimit: { enabled: true, requestsPerSecond: 200, burst: 500 },
  });
  const text = renderEnvoyConfigMap(broker).data?.[envoyConfigKey];
  return parse(text ?? "") as Bootstrap;
}

describe("renderEnvoyConfigMap", () => {
  const config = bootstrap();
  const [listener] = config.static_resources.listeners;
  const hcm = listener?.filter_chains[0]?.filters[0]?.typed_config;

  it("listens for gRPC on the sidecar port, with admin on loopback only", () => {
    expect(listener?.address.socket_address).toEqual({ address: "0.0.0.0", port_value: 50061 });
    expect(config.admin.address.socket_address).toEqual({ address: "127.0.0.1", port_value: 9901 });
  });

  it("rate-limits with a token bucket of burst tokens refilled by requestsPerSecond every second", () => {
    const [limiter, router] = hcm?.http_filters ?? [];
    expect(limiter?.name).toBe("envoy.filters.http.local_ratelimit");
    expect(limiter?.typed_config).toMatchObject({
      "@type":
        "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
      token_bucket: { max_tokens: 500, tokens_per_fill: 200, fill_interval: "1s" },
      filter_enabled: { default_value: { numerator: 100, denominator: "HUNDRED" } },
      filter_enforced: { default_value: { numerator: 100, denominator: "HUNDRED" } },
      rate_limited_as_resource_exhausted: true,
    });
    expect(router?.name).toBe("envoy.filters.http.router");
  });

  it("routes gRPC over HTTP/2 to the broker on loopback, without timeouts that would cut streams", () => {
    expect(hcm).toMatchObject({ codec_type: "HTTP2", stream_idle_timeout: "0s" });
    expect(hcm?.route_config.virtual_hosts[0]?.routes).toEqual([
      { match: { prefix: "/", grpc: {} }, route: { cluster: "broker", timeout: "0s" } },
    ]);
    const [cluster] = config.static_resources.clusters;
    expect(cluster?.name).toBe("broker");
    expect(
      Object.values(cluster?.typed_extension_protocol_options ?? {})[0]?.explicit_http_config,
    ).toEqual({
      http2_protocol_options: {},
    });
    expect(
      cluster?.load_assignment.endpoints[0]?.lb_endpoints[0]?.endpoint.address.socket_address,
    ).toEqual({
      address: "127.0.0.1",
      port_value: 50051,
    });
  });

  it("names the proto type of every typed_config", () => {
    const typedConfigs = [
      ...JSON.stringify(config).matchAll(/"typed_config":\{"@type":"([^"]+)"/g),
    ].map((m) => m[1]);
    expect(typedConfigs).toEqual([
      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
      "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
      "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
    ]);
  });

  describe("with TLS", () => {
    const broker = brokerFixture({ rateLimit: { enabled: true } });
    const data = renderEnvoyConfigMap(broker).data ?? {};
    const text = data[envoyConfigKey] ?? "";

    it("serves the brokers' certificate to clients and dials the broker over TLS, both re-read when the Secret changes", () => {
      const config = parse(text) as {
        static_resources: {
          listeners: { filter_chains: { transport_socket: unknown }[] }[];
          clusters: { transport_socket: unknown }[];
        };
      };
      const watched = { watched_directory: { path: "/var/run/secrets/herald/tls" } };
      expect(
        config.static_resources.listeners[0]?.filter_chains[0]?.transport_socket,
      ).toMatchObject({
        typed_config: {
          common_tls_context: {
            alpn_protocols: ["h2"],
            tls_certificate_sds_secret_configs: [
              {
                name: "broker_certificate",
                sds_config: {
                  path_config_source: { path: "/etc/envoy/sds-certificate.yaml", ...watched },
                },
              },
            ],
          },
        },
      });
      expect(config.static_resources.clusters[0]?.transport_socket).toMatchObject({
        typed_config: {
          sni: "orders.shop.svc",
          common_tls_context: {
            validation_context_sds_secret_config: {
              name: "broker_ca",
              sds_config: { path_config_source: { path: "/etc/envoy/sds-ca.yaml", ...watched } },
            },
          },
        },
      });
    });

    it("holds the SDS resources next to the bootstrap", () => {
      expect(parse(data["sds-certificate.yaml"] ?? "")).toEqual({
        resources: [expect.objectContaining({ name: "broker_certificate" })],
      });
      expect(parse(data["sds-ca.yaml"] ?? "")).toEqual({
        resources: [expect.objectContaining({ name: "broker_ca" })],
      });
    });
  });
});
