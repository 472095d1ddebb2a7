import type { V1Service } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { serviceRoleLabel } from "./headless-service.ts";
import { childMetadata, selectorLabels } from "./metadata.ts";
import { childNames } from "./names.ts";
import { ports } from "./ports.ts";

/**
 * What clients dial: port 50051 on ready brokers. With rate limiting on it leads to the Envoy
 * sidecar instead of the broker, so the clients' address never changes. The gateway, when on, is
 * one more port here rather than a Service of its own: browsers and gRPC clients reach the same
 * brokers, under the same type and annotations.
 */
export function renderClientService(broker: MessageBroker): V1Service {
  const { service, rateLimit, web, tls } = broker.spec;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: childMetadata(broker, {
      name: childNames(broker).clientService,
      component: "broker",
      labels: { [serviceRoleLabel]: "client" },
      annotations: service.annotations,
    }),
    spec: {
      type: service.type,
      selector: selectorLabels(broker, "broker"),
      ports: [
        {
          name: ports.grpc.name,
          port: ports.grpc.port,
          targetPort: rateLimit.enabled ? ports.envoyGrpc.name : ports.grpc.name,
          protocol: "TCP",
          // gRPC is HTTP/2: in clear (h2c) or over TLS.
          appProtocol: tls.enabled ? "https" : "kubernetes.io/h2c",
        },
        { name: "metrics", port: ports.http.port, targetPort: ports.http.name, protocol: "TCP" },
        ...(web.enabled
          ? [
              {
                name: ports.web.name,
                port: web.service.port,
                targetPort: ports.web.name,
                protocol: "TCP",
                appProtocol: tls.enabled ? "https" : "http",
              },
            ]
          : []),
      ],
    },
  };
}

/** Addresses for the MessageBroker's status.endpoints. */
export function clientEndpoints(broker: MessageBroker, clusterDomain: string) {
  const host = `${childNames(broker).clientService}.${broker.metadata.namespace}.svc.${clusterDomain}`;
  return {
    grpc: `${host}:${ports.grpc.port}`,
    metrics: `http://${host}:${ports.http.port}/metrics`,
    ...(broker.spec.web.enabled
      ? {
          web: `${broker.spec.tls.enabled ? "https" : "http"}://${host}:${broker.spec.web.service.port}`,
        }
      : {}),
  };
}
