import { network, nodeName, paths } from "./layout.ts";
import { COREDNS_VERSION } from "./coredns.ts";

/**
 * What a cluster installer adds on top of the components: cluster DNS and
 * storage. Pure renderers of the objects `node-up` applies.
 */

export const corednsImage = `herald-coredns:${COREDNS_VERSION}`;
/** Above 1024: CoreDNS runs as a non-root user without capabilities; the Service maps 53 to it. */
const dnsPort = 1053;

/**
 * CoreDNS answering for cluster.local only: there is no upstream resolver,
 * since nothing here may leave the machine.
 */
export function renderCoreDns(): object[] {
  const ns = "kube-system";
  const labels = { "k8s-app": "kube-dns" };
  const corefile = [
    `.:${dnsPort} {`,
    "    errors",
    "    health :8080",
    "    ready :8181",
    `    kubernetes ${network.clusterDomain} in-addr.arpa ip6.arpa {`,
    "        pods insecure",
    "        fallthrough in-addr.arpa ip6.arpa",
    "        ttl 30",
    "    }",
    "    cache 30",
    "    loop",
    "}",
    "",
  ].join("\n");
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "coredns", namespace: ns } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "system:coredns" },
      rules: [
        {
          apiGroups: [""],
          resources: ["endpoints", "services", "pods", "namespaces"],
          verbs: ["list", "watch"],
        },
        {
          apiGroups: ["discovery.k8s.io"],
          resources: ["endpointslices"],
          verbs: ["list", "watch"],
        },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "system:coredns" },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "ClusterRole",
        name: "system:coredns",
      },
      subjects: [{ kind: "ServiceAccount", name: "coredns", namespace: ns }],
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "coredns", namespace: ns },
      data: { Corefile: corefile },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "coredns", namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: "coredns",
            // Its own answers would loop back to it through the node's resolv.conf.
            dnsPolicy: "Default",
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              runAsGroup: 65532,
              seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [
              {
                name: "coredns",
                image: corednsImage,
                imagePullPolicy: "Never",
                args: ["-conf", "/etc/coredns/Corefile"],
                ports: [
                  { name: "dns", containerPort: dnsPort, protocol: "UDP" },
                  { name: "dns-tcp", containerPort: dnsPort, protocol: "TCP" },
                ],
                readinessProbe: { httpGet: { path: "/ready", port: 8181 }, periodSeconds: 2 },
                livenessProbe: { httpGet: { path: "/health", port: 8080 }, periodSeconds: 10 },
                resources: {
                  requests: { cpu: "50m", memory: "64Mi" },
                  limits: { memory: "128Mi" },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                },
                volumeMounts: [{ name: "config", mountPath: "/etc/coredns", readOnly: true }],
              },
            ],
            volumes: [{ name: "config", configMap: { name: "coredns" } }],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kube-dns", namespace: ns, labels },
      spec: {
        clusterIP: network.dnsServiceIp,
        selector: labels,
        ports: [
          { name: "dns", port: 53, targetPort: dnsPort, protocol: "UDP" },
          { name: "dns-tcp", port: 53, targetPort: dnsPort, protocol: "TCP" },
        ],
      },
    },
  ];
}

export const storageClassName = "standard";
export const volumeCount = 8;
export const volumeName = (i: number): string => `herald-node-pv-${i}`;
export const volumesDir = `${paths.dir}/volumes`;
export const volumeDir = (i: number): string => `${volumesDir}/${volumeName(i)}`;

/**
 * Storage without a provisioner: a default StorageClass that binds when the
 * pod is scheduled, and local PersistentVolumes on the node, pre-created
 * (node-up replaces any a deleted claim released).
 */
export function renderStorage(): object[] {
  const pvs = Array.from({ length: volumeCount }, (_, i) => ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: volumeName(i) },
    spec: {
      capacity: { storage: "20Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName,
      local: { path: volumeDir(i) },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: "kubernetes.io/hostname", operator: "In", values: [nodeName] },
              ],
            },
          ],
        },
      },
    },
  }));
  return [
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: {
        name: storageClassName,
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      provisioner: "kubernetes.io/no-provisioner",
      volumeBindingMode: "WaitForFirstConsumer",
    },
    ...pvs,
  ];
}
