import type { V1ConfigMap } from "@kubernetes/client-node";
import { renderBrokerEnv } from "../../contract/broker-env.ts";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata } from "./metadata.ts";
import { childNames } from "./names.ts";
import { storeConnection } from "./store-connection.ts";

/** Share of the pod's termination grace the broker may spend draining; the rest lets the process exit. */
const shutdownShareOfGrace = 0.8;

/**
 * Broker settings the brokers read through `envFrom`, encoded by the shared contract; secrets never
 * go here (they are secretKeyRef env).
 */
export function brokerSettings(broker: MessageBroker): Record<string, string> {
  const { spec } = broker;
  return {
    ...storeConnection(broker).config,
    ...renderBrokerEnv({
      HERALD_BATCH_MAX_SIZE: spec.storage.batch.maxSize,
      HERALD_BATCH_MAX_DELAY_MS: spec.storage.batch.maxDelayMs,
      HERALD_MAX_MESSAGE_BYTES: spec.maxMessageBytes,
      HERALD_LOG_LEVEL: spec.logLevel,
      HERALD_SHUTDOWN_GRACE_MS: Math.floor(
        spec.podTemplate.terminationGracePeriodSeconds * 1000 * shutdownShareOfGrace,
      ),
      HERALD_DEFAULT_EXPIRATION_SECONDS: spec.retention.defaultExpirationSeconds,
      HERALD_MAX_EXPIRATION_SECONDS: spec.retention.maxExpirationSeconds,
      HERALD_DEDUP_WINDOW_SECONDS: spec.deduplication.windowSeconds,
    }),
  };
}

export function renderBrokerConfigMap(broker: MessageBroker): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMetadata(broker, { name: childNames(broker).config, component: "broker" }),
    data: brokerSettings(broker),
  };
}
