import type { V1ConfigMap } from "@kubernetes/client-node";
import { stringify } from "yaml";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata } from "./metadata.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";
import { securityMounts } from "./tls.ts";

export const envoyConfigKey = "envoy.yaml";
/** Where the sidecar mounts its ConfigMap: the bootstrap and the certificate files' SDS resources. */
export const envoyConfigDir = "/etc/envoy";
const certificateSdsKey = "sds-certificate.yaml";
const trustSdsKey = "sds-ca.yaml";
const tlsSecretType = "envoy.extensions.transport_sockets.tls.v3.Secret";

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
  const tls = broker.spec.tls.enabled;
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
              ...(tls ? { transport_socket: downstreamTls() } : {}),
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
          ...(tls ? { transport_socket: upstreamTls(broker) } : {}),
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

/**
 * The certificate files as SDS resources Envoy reads from disk and reads again when the mounted
 * Secret changes (Kubernetes swaps its files through a symlink in that directory), so a renewed
 * certificate reaches the sidecar without a restart, as it reaches the broker.
 */
export function envoySdsResources() {
  return {
    certificate: {
      "@type": typeUrl(tlsSecretType),
      name: "broker_certificate",
      tls_certificate: {
        certificate_chain: { filename: `${securityMounts.tls}/tls.crt` },
        private_key: { filename: `${securityMounts.tls}/tls.key` },
      },
    },
    trust: {
      "@type": typeUrl(tlsSecretType),
      name: "broker_ca",
      validation_context: { trusted_ca: { filename: `${securityMounts.tls}/ca.crt` } },
    },
  };
}

const sdsFrom = (name: string, key: string) => ({
  name,
  sds_config: {
    resource_api_version: "V3",
    path_config_source: {
      path: `${envoyConfigDir}/${key}`,
      watched_directory: { path: securityMounts.tls },
    },
  },
});

/** Clients' TLS ends at the sidecar, with the brokers' own certificate. */
const downstreamTls = () => ({
  name: "envoy.transport_sockets.tls",
  typed_config: {
    "@type": typeUrl("envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"),
    common_tls_context: {
      alpn_protocols: ["h2"],
      tls_certificate_sds_secret_configs: [sdsFrom("broker_certificate", certificateSdsKey)],
    },
  },
});

/** The broker's port only speaks TLS: the sidecar dials it as a client that checks its name. */
const upstreamTls = (broker: MessageBroker) => ({
  name: "envoy.transport_sockets.tls",
  typed_config: {
    "@type": typeUrl("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"),
    sni: `${childNames(broker).clientService}.${broker.metadata.namespace}.svc`,
    common_tls_context: {
      alpn_protocols: ["h2"],
      validation_context_sds_secret_config: sdsFrom("broker_ca", trustSdsKey),
    },
  },
});

export function renderEnvoyConfigMap(broker: MessageBroker): V1ConfigMap {
  const sds = envoySdsResources();
  const text = (value: unknown) => stringify(value, { lineWidth: 0 });
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMetadata(broker, { name: childNames(broker).envoyConfig, component: "broker" }),
    data: {
      [envoyConfigKey]: text(envoyBootstrap(broker)),
      ...(broker.spec.tls.enabled
        ? {
            [certificateSdsKey]: text({ resources: [sds.certificate] }),
            [trustSdsKey]: text({ resources: [sds.trust] }),
          }
        : {}),
    },
  };
}
