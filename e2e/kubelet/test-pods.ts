// Pods as the StatefulSet controller would create them from the operator's rendered templates.
import type { V1StatefulSet } from "@kubernetes/client-node";
import { renderBrokerStatefulSet } from "../../operator/render/broker-statefulset.ts";
import { renderPostgresStatefulSet } from "../../operator/render/postgres-statefulset.ts";
import {
  brokerFixture,
  contextFixture,
  managedPostgresSpec,
} from "../../operator/test/fixtures.ts";
import type { MessageBrokerSpecInput } from "../../operator/api/v1alpha1/index.ts";
import { podSchema, type Pod } from "./pod-schema.ts";

function podOf(statefulSet: V1StatefulSet, ordinal = 0): Pod {
  const template = statefulSet.spec?.template;
  const name = `${statefulSet.metadata?.name ?? ""}-${ordinal}`;
  return podSchema.parse({
    metadata: {
      ...template?.metadata,
      name,
      namespace: statefulSet.metadata?.namespace,
      uid: `uid-${name}`,
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "StatefulSet",
          name: statefulSet.metadata?.name,
          controller: true,
        },
      ],
    },
    spec: { ...template?.spec, hostname: name },
  });
}

/** A broker without TLS and auth: its pod mounts no certificate or auth file Secrets. */
export const plainBrokerSpec: MessageBrokerSpecInput = {
  tls: { enabled: false },
  auth: { enabled: false },
};

/** A broker pod of the operator's rendered StatefulSet. */
export function brokerPod(spec: MessageBrokerSpecInput = {}, ordinal = 0): Pod {
  return podOf(renderBrokerStatefulSet(brokerFixture(spec), contextFixture()), ordinal);
}

/** A pod of the managed PostgreSQL the operator renders: not the kubelet's to run. */
export function managedPostgresPod(): Pod {
  return podOf(renderPostgresStatefulSet(brokerFixture(managedPostgresSpec), contextFixture()));
}
