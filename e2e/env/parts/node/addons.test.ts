import { expect, test } from "vitest";
import { z } from "zod";
import { renderCoreDns, renderStorage, storageClassName, volumeCount } from "./addons.ts";
import { network, nodeName } from "./layout.ts";

const Obj = z.looseObject({ kind: z.string(), metadata: z.looseObject({ name: z.string() }) });
const byKind = (objects: object[], kind: string) =>
  objects.map((o) => Obj.parse(o)).filter((o) => o.kind === kind);

test("cluster DNS: the kube-dns Service at the kubelet's clusterDNS address maps 53 to the unprivileged port", () => {
  const [service] = byKind(renderCoreDns(), "Service");
  expect(service).toMatchObject({
    metadata: { name: "kube-dns", namespace: "kube-system" },
    spec: {
      clusterIP: network.dnsServiceIp,
      ports: [
        { port: 53, targetPort: 1053, protocol: "UDP" },
        { port: 53, targetPort: 1053, protocol: "TCP" },
      ],
    },
  });
});

test("cluster DNS has no upstream: nothing it resolves leaves the machine", () => {
  const [config] = byKind(renderCoreDns(), "ConfigMap");
  const corefile = z.object({ data: z.object({ Corefile: z.string() }) }).parse(config)
    .data.Corefile;
  expect(corefile).toContain(`kubernetes ${network.clusterDomain}`);
  expect(corefile).not.toMatch(/forward|proxy/);
});

test("storage: a default class without provisioner and local volumes pinned to the node", () => {
  const objects = renderStorage();
  expect(byKind(objects, "StorageClass")).toMatchObject([
    {
      metadata: {
        name: storageClassName,
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      volumeBindingMode: "WaitForFirstConsumer",
    },
  ]);
  const volumes = byKind(objects, "PersistentVolume");
  expect(volumes).toHaveLength(volumeCount);
  expect(JSON.stringify(volumes[0])).toContain(`"values":["${nodeName}"]`);
});
