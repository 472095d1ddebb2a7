/**
 * The part of a Pod the process kubelet reads, parsed with zod: informer caches hold plain JSON
 * (timestamps as strings) while typed client calls return Dates, and neither is checked.
 */
import { z } from "zod";

/** Kubernetes serializes times with second precision; one spelling makes statuses comparable. */
export function canonicalTime(value: string | Date): string {
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const time = z.union([z.string(), z.date()]).transform(canonicalTime);
const stringMap = z.record(z.string(), z.string());

const keyRef = z.object({
  name: z.string(),
  key: z.string(),
  optional: z.boolean().optional(),
});

export const envVarSchema = z.object({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .object({
      fieldRef: z.object({ fieldPath: z.string(), apiVersion: z.string().optional() }).optional(),
      resourceFieldRef: z
        .object({
          resource: z.string(),
          containerName: z.string().optional(),
          divisor: z.union([z.string(), z.number()]).optional(),
        })
        .optional(),
      configMapKeyRef: keyRef.optional(),
      secretKeyRef: keyRef.optional(),
    })
    .optional(),
});
export type EnvVar = z.infer<typeof envVarSchema>;

const objectRef = z.object({ name: z.string(), optional: z.boolean().optional() });

export const envFromSchema = z.object({
  prefix: z.string().optional(),
  configMapRef: objectRef.optional(),
  secretRef: objectRef.optional(),
});
export type EnvFromSource = z.infer<typeof envFromSchema>;

const port = z.union([z.number().int(), z.string()]);

export const probeSchema = z.object({
  httpGet: z
    .object({
      path: z.string().optional(),
      port,
      host: z.string().optional(),
      scheme: z.string().optional(),
      httpHeaders: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    })
    .optional(),
  tcpSocket: z.object({ port, host: z.string().optional() }).optional(),
  exec: z.object({ command: z.array(z.string()).optional() }).optional(),
  grpc: z.object({ port: z.number().int(), service: z.string().optional() }).optional(),
  initialDelaySeconds: z.number().int().optional(),
  periodSeconds: z.number().int().optional(),
  timeoutSeconds: z.number().int().optional(),
  successThreshold: z.number().int().optional(),
  failureThreshold: z.number().int().optional(),
});
export type Probe = z.infer<typeof probeSchema>;

const resourceList = z.record(z.string(), z.union([z.string(), z.number()]));

export const containerSchema = z.object({
  name: z.string(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z.array(envVarSchema).optional(),
  envFrom: z.array(envFromSchema).optional(),
  ports: z
    .array(z.object({ name: z.string().optional(), containerPort: z.number().int() }))
    .optional(),
  readinessProbe: probeSchema.optional(),
  livenessProbe: probeSchema.optional(),
  startupProbe: probeSchema.optional(),
  resources: z
    .object({ limits: resourceList.optional(), requests: resourceList.optional() })
    .optional(),
  volumeMounts: z
    .array(
      z.object({
        name: z.string(),
        mountPath: z.string(),
        readOnly: z.boolean().optional(),
        subPath: z.string().optional(),
      }),
    )
    .optional(),
  /** "Always" on an init container makes it a native sidecar. */
  restartPolicy: z.string().optional(),
});
export type Container = z.infer<typeof containerSchema>;

const keyToPath = z.array(z.object({ key: z.string(), path: z.string() })).optional();

const downwardApiItems = z.array(
  z.object({
    path: z.string(),
    fieldRef: z.object({ fieldPath: z.string() }).optional(),
  }),
);

export const volumeSchema = z.object({
  name: z.string(),
  emptyDir: z.object({}).loose().optional(),
  configMap: z
    .object({ name: z.string(), items: keyToPath, optional: z.boolean().optional() })
    .optional(),
  secret: z
    .object({
      secretName: z.string().optional(),
      items: keyToPath,
      optional: z.boolean().optional(),
    })
    .optional(),
  downwardAPI: z.object({ items: downwardApiItems.optional() }).optional(),
  projected: z
    .object({
      sources: z
        .array(
          z.object({
            serviceAccountToken: z
              .object({
                path: z.string(),
                audience: z.string().optional(),
                expirationSeconds: z.number().int().optional(),
              })
              .optional(),
            configMap: z
              .object({ name: z.string(), items: keyToPath, optional: z.boolean().optional() })
              .optional(),
            secret: z
              .object({ name: z.string(), items: keyToPath, optional: z.boolean().optional() })
              .optional(),
            downwardAPI: z.object({ items: downwardApiItems.optional() }).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});
export type Volume = z.infer<typeof volumeSchema>;

export const conditionSchema = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: time.nullish(),
  lastProbeTime: time.nullish(),
});
export type PodCondition = z.infer<typeof conditionSchema>;

const containerStatusSchema = z
  .object({
    name: z.string(),
    restartCount: z.number().int().optional(),
    containerID: z.string().optional(),
  })
  .loose();

export const podSchema = z.object({
  metadata: z.object({
    name: z.string(),
    namespace: z.string(),
    uid: z.string(),
    resourceVersion: z.string().optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
    ownerReferences: z
      .array(
        z.object({
          apiVersion: z.string(),
          kind: z.string(),
          name: z.string(),
          controller: z.boolean().optional(),
        }),
      )
      .optional(),
    deletionTimestamp: time.nullish(),
    deletionGracePeriodSeconds: z.number().int().nullish(),
  }),
  spec: z.object({
    nodeName: z.string().optional(),
    nodeSelector: stringMap.optional(),
    schedulerName: z.string().optional(),
    serviceAccountName: z.string().optional(),
    hostname: z.string().optional(),
    subdomain: z.string().optional(),
    restartPolicy: z.string().optional(),
    terminationGracePeriodSeconds: z.number().int().optional(),
    readinessGates: z.array(z.object({ conditionType: z.string() })).optional(),
    containers: z.array(containerSchema),
    initContainers: z.array(containerSchema).optional(),
    volumes: z.array(volumeSchema).optional(),
  }),
  status: z
    .object({
      phase: z.string().optional(),
      startTime: time.nullish(),
      conditions: z.array(conditionSchema).optional(),
      containerStatuses: z.array(containerStatusSchema).optional(),
    })
    .loose()
    .optional(),
});
export type Pod = z.infer<typeof podSchema>;

export const podKey = (pod: { metadata: { namespace: string; name: string } }): string =>
  `${pod.metadata.namespace}/${pod.metadata.name}`;
