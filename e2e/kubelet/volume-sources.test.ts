import { describe, expect, test } from "vitest";
import { podSchema, type Pod } from "./pod-schema.ts";
import { brokerPod, plainBrokerSpec } from "./test-pods.ts";
import { podsAffectedBy, volumeObjects, type ObjectRef } from "./volume-sources.ts";

/** A broker pod with extra volumes, each mounted unless listed in `unmounted`. */
function podWith(name: string, volumes: object[], unmounted: string[] = []): Pod {
  const pod = brokerPod(plainBrokerSpec);
  const [broker] = pod.spec.containers;
  const mounts = volumes
    .map((volume) => (volume as { name: string }).name)
    .filter((volume) => !unmounted.includes(volume))
    .map((volume) => ({ name: volume, mountPath: `/mnt/${volume}` }));
  return podSchema.parse({
    ...pod,
    metadata: { ...pod.metadata, name, uid: `uid-${name}` },
    spec: {
      ...pod.spec,
      volumes: [...(pod.spec.volumes ?? []), ...volumes],
      containers: [{ ...broker, volumeMounts: [...(broker?.volumeMounts ?? []), ...mounts] }],
    },
  });
}

const tls = { name: "tls", secret: { secretName: "orders-tls" } };
const auth = { name: "auth", configMap: { name: "orders-auth", optional: true } };
const projected = {
  name: "bundle",
  projected: {
    sources: [
      { configMap: { name: "ca-bundle" } },
      { secret: { name: "client-cert", items: [{ key: "tls.crt", path: "client.crt" }] } },
      { serviceAccountToken: { path: "token" } },
    ],
  },
};

const change = (kind: ObjectRef["kind"], name: string, namespace = "shop"): ObjectRef => ({
  kind,
  namespace,
  name,
});
const names = (pods: Pod[]) => pods.map((pod) => pod.metadata.name);

describe("volumeObjects", () => {
  test("lists the ConfigMaps and Secrets of mounted volumes, projected sources included", () => {
    const pod = podWith("orders-0", [tls, auth, projected]);
    expect(volumeObjects(pod)).toEqual(
      expect.arrayContaining([
        change("Secret", "orders-tls"),
        change("ConfigMap", "orders-auth"),
        change("ConfigMap", "ca-bundle"),
        change("Secret", "client-cert"),
      ]),
    );
  });
});

describe("podsAffectedBy", () => {
  const withTls = podWith("orders-0", [tls, auth]);
  const withBundle = podWith("orders-1", [projected]);
  const tlsUnmounted = podWith("orders-2", [tls], ["tls"]);
  const pods = [withTls, withBundle, tlsUnmounted];

  test("a Secret or ConfigMap a pod mounts affects that pod", () => {
    expect(names(podsAffectedBy(change("Secret", "orders-tls"), pods))).toEqual(["orders-0"]);
    expect(names(podsAffectedBy(change("ConfigMap", "orders-auth"), pods))).toEqual(["orders-0"]);
  });

  test("a projected source counts as the volume's own", () => {
    expect(names(podsAffectedBy(change("ConfigMap", "ca-bundle"), pods))).toEqual(["orders-1"]);
    expect(names(podsAffectedBy(change("Secret", "client-cert"), pods))).toEqual(["orders-1"]);
  });

  test("the kind, the namespace and the name must all match", () => {
    expect(podsAffectedBy(change("ConfigMap", "orders-tls"), pods)).toEqual([]);
    expect(podsAffectedBy(change("Secret", "orders-tls", "other"), pods)).toEqual([]);
    expect(podsAffectedBy(change("Secret", "unrelated"), pods)).toEqual([]);
  });

  test("a volume no container mounts is never written, so its objects affect nobody", () => {
    expect(names(podsAffectedBy(change("Secret", "orders-tls"), [tlsUnmounted]))).toEqual([]);
  });
});
