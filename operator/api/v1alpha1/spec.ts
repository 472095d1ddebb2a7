import { z } from "zod";
import { maxDedupWindowSeconds } from "../../../contract/broker-env.ts";
import { brokerPorts, maxWorkers } from "../../../contract/ports.ts";
import { celRules } from "./cel.ts";
import {
  affinitySchema,
  objectName,
  resourceRequirements,
  stringMap,
  tolerationSchema,
  topologySpreadConstraintSchema,
} from "./fields.ts";
import { storageSchema } from "./storage.ts";

const positive = (field: string) =>
  celRules({ rule: "self > 0", message: `${field} must be positive` });

const retentionSchema = z
  .object({
    defaultExpirationSeconds: z
      .int32()
      .min(0)
      .optional()
      .describe(
        "Expiry applied to a publish that asks for none (expirationSeconds 0). Unset: maxExpirationSeconds if set, else never; 0: never.",
      ),
    maxExpirationSeconds: z
      .int32()
      .min(1)
      .optional()
      .describe("Longest expiry a publish may ask for; unset means no limit."),
  })
  .meta(
    celRules({
      rule: "!has(self.maxExpirationSeconds) || !has(self.defaultExpirationSeconds) || (self.defaultExpirationSeconds > 0 && self.defaultExpirationSeconds <= self.maxExpirationSeconds)",
      message: "retention.defaultExpirationSeconds must be between 1 and maxExpirationSeconds",
    }),
  )
  .describe("Message expiry bounds the brokers enforce.");

const deduplicationSchema = z
  .object({
    windowSeconds: z
      .int32()
      .min(1)
      .max(maxDedupWindowSeconds)
      .default(120)
      .describe(
        "How long a publish's idempotency key answers a repeat with the first id, storing nothing.",
      ),
  })
  .describe("Idempotent publish: the duplicate window of idempotency keys.");

const rateLimitSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe("Run the Envoy sidecar that rate-limits client calls."),
    requestsPerSecond: z
      .int32()
      .default(1000)
      .meta(positive("rateLimit.requestsPerSecond"))
      .describe("Calls per second each broker pod admits; a stream counts once, when it opens."),
    burst: z
      .int32()
      .default(2000)
      .meta(positive("rateLimit.burst"))
      .describe("Token bucket size: calls admitted at once after a quiet period."),
  })
  .meta(
    celRules({
      rule: "self.burst >= self.requestsPerSecond",
      message:
        "rateLimit.burst must be at least requestsPerSecond (the bucket refills requestsPerSecond tokens each second)",
    }),
  )
  .describe(
    "Per-pod rate limit of gRPC client calls, enforced by an Envoy local_ratelimit sidecar; rejected calls end with RESOURCE_EXHAUSTED. The HTTP gateway (spec.web) is not behind it: it has its own bounds on body size and open streams.",
  );

const serviceMonitorSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Create a ServiceMonitor; skipped, with a status condition, while its CRD is not installed.",
      ),
    interval: z
      .string()
      .regex(/^[0-9]+(ms|s|m|h)$/)
      .max(16)
      .default("30s")
      .describe("Scrape interval, e.g. 30s."),
    labels: stringMap(
      "Extra labels on the ServiceMonitor, e.g. the ones a Prometheus serviceMonitorSelector matches.",
    ).default({}),
  })
  .describe("A Prometheus Operator ServiceMonitor that scrapes every broker's /metrics.");

const monitoringSchema = z
  .object({ serviceMonitor: serviceMonitorSchema.prefault({}) })
  .describe("Prometheus integration.");

const tracingSchema = z
  .object({
    enabled: z.boolean().default(false).describe("Export OpenTelemetry traces over OTLP/gRPC."),
    endpoint: z
      .string()
      .regex(/^https?:\/\//)
      .max(2048)
      .optional()
      .describe(
        "OTLP/gRPC collector URL, e.g. http://jaeger-collector.observability:4317. Required when enabled.",
      ),
    samplingRatio: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe(
        "Share of new traces sampled (0 to 1); calls inside a sampled trace are always kept.",
      ),
  })
  .meta(
    celRules({
      rule: "!self.enabled || has(self.endpoint)",
      message: "tracing.endpoint is required when tracing.enabled is true",
    }),
  )
  .describe("OpenTelemetry tracing, e.g. to Jaeger.");

const podTemplateSchema = z
  .object({
    labels: stringMap(
      "Extra labels on the broker pods; Herald's own labels win on conflict.",
    ).default({}),
    annotations: stringMap("Extra annotations on the broker pods.").default({}),
    nodeSelector: stringMap("Node labels a broker pod's node must have.").optional(),
    affinity: affinitySchema.optional(),
    tolerations: z
      .array(tolerationSchema)
      .max(32)
      .optional()
      .describe("Taints the broker pods tolerate."),
    topologySpreadConstraints: z
      .array(topologySpreadConstraintSchema)
      .max(8)
      .optional()
      .describe("How broker pods spread across zones or nodes."),
    priorityClassName: objectName("PriorityClass of the broker pods.").optional(),
    imagePullSecrets: z
      .array(objectName("Name of a docker-registry Secret."))
      .max(8)
      .optional()
      .describe("Secrets used to pull the broker (and sidecar) images."),
    terminationGracePeriodSeconds: z
      .int32()
      .min(1)
      .max(3600)
      .default(30)
      .describe("Time a broker gets after SIGTERM to flush batches and end streams."),
  })
  .describe("Overrides of the broker pod template.");

const serviceSchema = z
  .object({
    type: z
      .enum(["ClusterIP", "NodePort", "LoadBalancer"])
      .default("ClusterIP")
      .describe("Type of the client Service."),
    annotations: stringMap(
      "Annotations on the client Service, e.g. for a cloud load balancer.",
    ).default({}),
  })
  .describe("The client Service that spreads gRPC calls over the broker pods.");

const webSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe("Serve the brokers' HTTP/WebSocket gateway and publish it on the client Service."),
    service: z
      .object({
        port: z
          .int32()
          .min(1)
          .max(65535)
          .default(8080)
          .describe("Port of the gateway on the client Service."),
      })
      .prefault({})
      .describe(
        "How the client Service exposes the gateway; its type and annotations are spec.service's.",
      ),
  })
  .meta(
    // The client Service already serves these; a Service with a port twice is refused later and less clearly.
    celRules({
      rule: `self.service.port != ${brokerPorts.grpc.port} && self.service.port != ${brokerPorts.http.port}`,
      message: `web.service.port must differ from the client Service's gRPC (${brokerPorts.grpc.port}) and metrics (${brokerPorts.http.port}) ports`,
    }),
  )
  .describe("The brokers' HTTP/WebSocket gateway, for browsers and curl.");

const issuerRefSchema = z
  .object({
    name: objectName("Name of the cert-manager Issuer or ClusterIssuer."),
    kind: z
      .enum(["Issuer", "ClusterIssuer"])
      .default("Issuer")
      .describe("Issuer (in the broker's namespace) or ClusterIssuer."),
    group: z
      .string()
      .min(1)
      .max(253)
      .default("cert-manager.io")
      .describe("API group of the issuer; an external issuer's group, if not cert-manager's own."),
  })
  .describe(
    "A cert-manager issuer: the operator creates a Certificate and cert-manager keeps the brokers' Secret renewed.",
  );

const tlsSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Serve gRPC (and the gateway) over TLS, members talking mTLS. On by default; false serves plaintext.",
      ),
    issuerRef: issuerRefSchema.optional(),
    secretName: objectName(
      "Your own Secret with tls.crt, tls.key and ca.crt (the CA that signed tls.crt, which members trust). Its certificate needs the SANs docs/security.md lists.",
    ).optional(),
  })
  .meta(
    celRules({
      rule: "!(has(self.issuerRef) && has(self.secretName))",
      message: "tls.issuerRef and tls.secretName are alternatives: set at most one",
    }),
  )
  .describe(
    "Certificates of the brokers: from a cert-manager issuer (issuerRef), your Secret (secretName), or, with neither, a CA the operator keeps per MessageBroker. Renewed certificates are reloaded without restarting pods.",
  );

const authSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Authenticate every call and authorize it against the MessageBrokerUsers of this broker. On by default.",
      ),
  })
  .describe(
    "Client authentication: tokens of MessageBrokerUsers, and ServiceAccount tokens of users that name one.",
  );

const defaultBrokerResources = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { memory: "512Mi" },
};

export const messageBrokerSpecSchema = z
  .object({
    replicas: z
      .int32()
      .min(0)
      .max(99)
      .default(1)
      .describe("Number of broker pods. Above 1 needs a persistent store (postgres or cassandra)."),
    workers: z
      .int32()
      .min(1)
      .max(maxWorkers)
      .optional()
      .describe(
        "Broker processes in each pod, each a cluster member owning its own subjects with its own heap and store connections. Unset: 1. Pays off with routing clients; a client that does not route has most of its calls forwarded between workers. resources are the whole pod's, shared by its workers.",
      ),
    image: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe("Broker image; the operator's default (matching its own version) when unset."),
    imagePullPolicy: z
      .enum(["Always", "IfNotPresent", "Never"])
      .optional()
      .describe("Pull policy of the broker image."),
    logLevel: z
      .enum(["trace", "debug", "info", "warn", "error", "fatal"])
      .default("info")
      .describe("Broker log level (JSON logs on stdout)."),
    maxMessageBytes: z
      .int32()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(4 * 1024 * 1024)
      .describe("Largest message body a publish may carry, in bytes."),
    storage: storageSchema.prefault({}),
    deletionPolicy: z
      .enum(["Retain", "Delete"])
      .default("Retain")
      .describe(
        "What happens to the volumes of a managed store when the MessageBroker is deleted: Retain keeps them, Delete removes them.",
      ),
    retention: retentionSchema.prefault({}),
    deduplication: deduplicationSchema.prefault({}),
    rateLimit: rateLimitSchema.prefault({}),
    monitoring: monitoringSchema.prefault({}),
    tracing: tracingSchema.prefault({}),
    resources: resourceRequirements("Compute resources of the broker container.").default(
      defaultBrokerResources,
    ),
    podTemplate: podTemplateSchema.prefault({}),
    service: serviceSchema.prefault({}),
    web: webSchema.prefault({}),
    tls: tlsSchema.prefault({}),
    auth: authSchema.prefault({}),
  })
  .meta(
    celRules(
      {
        rule: "!self.auth.enabled || self.tls.enabled",
        message:
          "auth.enabled needs tls.enabled: tokens would cross the network in clear, and members prove they are members with certificates",
        fieldPath: ".auth.enabled",
      },
      {
        rule: "self.storage.type != 'memory' || self.replicas <= 1",
        message:
          "storage.type memory keeps messages in one pod: replicas above 1 need postgres or cassandra",
        fieldPath: ".replicas",
      },
    ),
  )
  .describe("Desired state of the broker cluster.");

export type MessageBrokerSpec = z.infer<typeof messageBrokerSpecSchema>;
export type MessageBrokerSpecInput = z.input<typeof messageBrokerSpecSchema>;
