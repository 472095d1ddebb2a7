import {
  EventsV1Api,
  V1MicroTime,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";

export interface BrokerEvent {
  type: "Normal" | "Warning";
  /** CamelCase, e.g. Created, Scaled, ReconcileFailed, Recovered. */
  reason: string;
  note: string;
}

export interface EventRecorder {
  /** Records an Event about `regarding`; a failure is logged, never thrown (events are best effort). */
  record(regarding: KubernetesObject, event: BrokerEvent): Promise<void>;
}

export const reportingController = "herald.dev/operator";

export function eventRecorder(
  kubeConfig: KubeConfig,
  instance: string,
  log: Logger,
): EventRecorder {
  const events = kubeConfig.makeApiClient(EventsV1Api);
  return {
    async record(regarding, event) {
      const { name = "", namespace = "default", uid } = regarding.metadata ?? {};
      try {
        await events.createNamespacedEvent({
          namespace,
          body: {
            metadata: { name: `${name}.${randomBytes(8).toString("hex")}`, namespace },
            eventTime: new V1MicroTime(),
            reportingController,
            reportingInstance: instance,
            action: "Reconcile",
            type: event.type,
            reason: event.reason,
            note: event.note.slice(0, 1024),
            regarding: {
              apiVersion: regarding.apiVersion,
              kind: regarding.kind,
              name,
              namespace,
              uid,
            },
          },
        });
      } catch (err) {
        log.warn(
          { err, reason: event.reason, broker: `${namespace}/${name}` },
          "could not record event",
        );
      }
    },
  };
}
