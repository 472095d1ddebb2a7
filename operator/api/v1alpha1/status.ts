import { z } from "zod";
import { conditionSchema } from "./conditions.ts";

export const phases = [
  "Pending",
  "Provisioning",
  "Running",
  "Scaling",
  "Degraded",
  "Paused",
] as const;

/** Steps of an operator-orchestrated scale (scale-up adds pods first, scale-down publishes membership first). */
export const scalingSteps = [
  "AddingPods",
  "PublishingMembership",
  "AwaitingEpoch",
  "RemovingPods",
] as const;

const scalingSchema = z
  .object({
    from: z.int32().min(0).describe("Replicas when the scale started."),
    to: z.int32().min(0).describe("Replicas the scale moves to."),
    step: z
      .enum(scalingSteps)
      .describe("Current step: AddingPods, PublishingMembership, AwaitingEpoch or RemovingPods."),
    targetEpoch: z.int().min(0).optional().describe("Membership epoch this scale publishes."),
    stepStartedAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe(
        "When the current step started. A step still waiting after the operator's stall threshold (HERALD_SCALING_STALL_AFTER_SECONDS, default 300) sets Degraded=True with reason ScalingStalled.",
      ),
  })
  .describe("Scale in progress, persisted so that an operator restart resumes it.");

export const messageBrokerStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .describe("metadata.generation the operator last reconciled."),
    phase: z
      .enum(phases)
      .optional()
      .describe(
        "One-word summary for humans; tools should read conditions. Pending, Provisioning, Running, Scaling, Degraded or Paused.",
      ),
    replicas: z
      .int32()
      .min(0)
      .optional()
      .describe("Broker pods that exist (the scale subresource reads this)."),
    readyReplicas: z.int32().min(0).optional().describe("Broker pods that are ready."),
    workers: z
      .int32()
      .min(1)
      .optional()
      .describe("Broker processes each pod runs, each a cluster member: spec.workers, else 1."),
    selector: z
      .string()
      .max(1024)
      .optional()
      .describe(
        "Label selector of the broker pods, for the scale subresource and HorizontalPodAutoscaler.",
      ),
    endpoints: z
      .object({
        grpc: z.string().max(512).optional().describe("host:port of the client gRPC Service."),
        metrics: z
          .string()
          .max(512)
          .optional()
          .describe("URL of a broker's Prometheus metrics, through the client Service."),
        web: z
          .string()
          .max(512)
          .optional()
          .describe(
            "URL of the HTTP/WebSocket gateway on the client Service, when spec.web is on.",
          ),
      })
      .optional()
      .describe("Addresses clients use inside the cluster."),
    security: z
      .object({
        tls: z
          .enum(["OperatorCA", "CertManager", "Secret", "Disabled"])
          .describe(
            "Where the brokers' certificate comes from: the operator's CA, a cert-manager issuer, your Secret, or Disabled (plaintext).",
          ),
        auth: z
          .enum(["Enabled", "Disabled"])
          .describe("Whether calls are authenticated against the broker's MessageBrokerUsers."),
      })
      .optional()
      .describe("How clients reach the brokers securely."),
    membershipEpoch: z
      .int()
      .min(0)
      .optional()
      .describe("Epoch of the membership the operator last published to the brokers."),
    scaling: scalingSchema.optional(),
    conditions: z
      .array(conditionSchema)
      .max(16)
      .optional()
      .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
      .describe("Latest observations of the broker cluster; one entry per condition type."),
  })
  .describe("Observed state of the broker cluster, written by the operator.");

export type MessageBrokerStatus = z.infer<typeof messageBrokerStatusSchema>;
export type Phase = (typeof phases)[number];
export type ScalingStep = (typeof scalingSteps)[number];
