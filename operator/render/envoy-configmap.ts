import type { V1ConfigMap } from "@kubernetes/client-node";
import { stringify } from "yaml";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata } from "./metadata.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";

export const envoyConfigKey = "envoy.yaml";

const typeUrl = (name: string) => `type.googleapis.com/${name}`;

/**
 * Envoy v3 bootstrap of the rate-limit sidecar: one HTTP/2 listener whose local_ratelimit filter
 * (a token bucket of `burst` tokens refilled by `requestsPerSecond` each second) sits in front of
 * the broker on 127.0.0.1. Rejected gRPC calls end with RESOURCE_EXHAUSTED. Streams get no
 * route or idle timeout, since a Subscribe may stay quiet for hours.
 */
export function envoyBootstrap(broker: MessageBroker) {
  const { requestsPerSecond, burst } = broker.spec.rateLimit;
  const brokerCluster = "broker";
  return {
    admin: {
      address: { socket_address: { address: "127.0.0.1", port_value: ports.envoyAdmin.port } },
    },
    static_resources: {
      listeners: [
        {
          name: "grpc",
          address: { socket_address: { address: "0.0.0.0", port_value: ports.envoyGrpc.port } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": typeUrl(
                      "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    ),
                    stat_prefix: "grpc_ingress",
                    codec_type: "HTTP2",
                    stream_idle_timeout: "0s",
                    route_config: {
                      name: "broker",
                      virtual_hosts: [
                        {
                          name: "broker",
                          domains: ["*"],
                          routes: [
                            {
                              match: { prefix: "/", grpc: {} },
                              route: { cluster: brokerCluster, timeout: "0s" },
                            },
                          ],
                        },
                      ],
                    },
                    http_filters: [
                      {
                        name: "envoy.filters.http.local_ratelimit",
                        typed_config: {
                          "@type": typeUrl(
                            "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
                          ),
                          stat_prefix: "grpc_rate_limiter",
                          token_bucket: {
                            max_tokens: burst,
                            tokens_per_fill: requestsPerSecond,
                            fill_interval: "1s",
                          },
                          filter_enabled: {
                            runtime_key: "local_rate_limit_enabled",
                            default_value: { numerator: 100, denominator: "HUNDRED" },
                          },
                          filter_enforced: {
                            runtime_key: "local_rate_limit_enforced",
                            default_value: { numerator: 100, denominator: "HUNDRED" },
                          },
                          rate_limited_as_resource_exhausted: true,
                        },
                      },
                      {
                        name: "envoy.filters.http.router",
                        typed_config: {
                          "@type": typeUrl("envoy.extensions.filters.http.router.v3.Router"),
                        },
                      },
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
          name: brokerCluster,
          type: "STATIC",
          connect_timeout: "1s",
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": typeUrl("envoy.extensions.upstreams.http.v3.HttpProtocolOptions"),
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: {
            cluster_name: brokerCluster,
            endpoints: [
              {
                lb_endpoints: [
                  {
                    endpoint: {
                      address: {
                        socket_address: { address: "127.0.0.1", port_value: ports.grpc.port },
                      },
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

export function renderEnvoyConfigMap(broker: MessageBroker): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMetadata(broker, { name: childNames(broker).envoyConfig, component: "broker" }),
    data: { [envoyConfigKey]: stringify(envoyBootstrap(broker), { lineWidth: 0 }) },
  };
}
