import type { V1ServiceAccount } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import { childMetadata } from "./metadata.ts";
import { childNames } from "./names.ts";

/** The brokers' identity; its Role lets them read their membership ConfigMap and nothing else. */
export function renderServiceAccount(broker: MessageBroker): V1ServiceAccount {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: childMetadata(broker, {
      name: childNames(broker).serviceAccount,
      component: "broker",
    }),
  };
}
