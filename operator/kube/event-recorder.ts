import {
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { EventSeries } from "./event-series.ts";

export interface BrokerEvent {
  type: "Normal" | "Warning";
  /** CamelCase, e.g. Created, Scaled, ReconcileFailed, Recovered. */
  reason: string;
  note: string;
}

export interface EventRecorder {
  /**
   * Records an Event about `regarding`, or counts a repeat of an identical recent one in its
   * series; a failure is logged, never thrown (events are best effort).
   */
  record(regarding: KubernetesObject, event: BrokerEvent): Promise<void>;
}

export const reportingController = "herald.dev/operator";

export function eventRecorder(
  kubeConfig: KubeConfig,
  instance: string,
  log: Logger,
): EventRecorder {
  const events = kubeConfig.makeApiClient(EventsV1Api);
  const series = new EventSeries();
  const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  return {
    async record(regarding, event) {
      const { name = "", namespace = "default", uid } = regarding.metadata ?? {};
      const key = [uid, event.type, event.reason, event.note].join("\n");
      const now = Date.now();
      const step = series.observe(key, now);
      try {
        if (step.kind === "repeat") {
          const body = { series: { count: step.count, lastObservedTime: new V1MicroTime(now) } };
          await events.patchNamespacedEvent({ namespace, name: step.eventName, body }, mergePatch);
          return;
        }
        const eventName = `${name}.${randomBytes(8).toString("hex")}`;
        await events.createNamespacedEvent({
          namespace,
          body: {
            metadata: { name: eventName, namespace },
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
        series.started(key, eventName, now);
      } catch (err) {
        log.warn(
          { err, reason: event.reason, broker: `${namespace}/${name}` },
          "could not record event",
        );
      }
    },
  };
}
