import type { V1Container } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { renderCassandraService } from "./cassandra-service.ts";
import { cassandraHeap, renderCassandraStatefulSet } from "./cassandra-statefulset.ts";
import { brokerFixture, contextFixture } from "../test/fixtures.ts";

describe("managed Cassandra", () => {
  const broker = brokerFixture({
    replicas: 3,
    storage: {
      type: "cassandra",
      cassandra: { managed: { replicas: 3, storage: "50Gi", version: "5.0.4" } },
    },
  });

  it("renderCassandraService names every node, ready or not", () => {
    const service = renderCassandraService(broker);
    expect(service.metadata?.name).toBe("orders-cassandra");
    expect(service.spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true });
    expect(service.spec?.ports?.map((p) => p.port)).toEqual([9042, 7000]);
  });

  describe("renderCassandraStatefulSet", () => {
    const sts = renderCassandraStatefulSet(broker, contextFixture());
    const container = sts.spec?.template.spec?.containers[0] as V1Container;
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));

    it("forms a ring of the requested size, one node at a time, seeded by the first", () => {
      expect(sts.spec).toMatchObject({
        replicas: 3,
        serviceName: "orders-cassandra",
        podManagementPolicy: "OrderedReady",
      });
      expect(env).toMatchObject({
        CASSANDRA_SEEDS: "orders-cassandra-0.orders-cassandra.shop.svc.cluster.local",
        CASSANDRA_DC: "dc1",
        CASSANDRA_CLUSTER_NAME: "orders",
      });
      expect(container.image).toBe("cassandra:5.0.4");
    });

    it("keeps its volumes unless deletionPolicy says Delete", () => {
      expect(sts.spec?.persistentVolumeClaimRetentionPolicy).toEqual({
        whenDeleted: "Retain",
        whenScaled: "Retain",
      });
      expect(sts.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests).toEqual({
        storage: "50Gi",
      });
    });

    it("runs as the cassandra user with no capabilities", () => {
      expect(sts.spec?.template.spec?.securityContext).toMatchObject({
        runAsUser: 999,
        runAsNonRoot: true,
      });
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        readOnlyRootFilesystem: false,
      });
    });
  });

  describe("cassandraHeap", () => {
    it("sizes the heap from the memory limit as Cassandra's own script does from the machine's", () => {
      expect(cassandraHeap({ limits: { memory: "2Gi" } })).toEqual({
        maxHeap: "1024M",
        newSize: "256M",
      });
      expect(cassandraHeap({ limits: { memory: "1Gi" } })).toEqual({
        maxHeap: "512M",
        newSize: "128M",
      });
      expect(cassandraHeap({ limits: { memory: "16Gi" } })).toEqual({
        maxHeap: "4096M",
        newSize: "1024M",
      });
      expect(cassandraHeap({ limits: { memory: "64Gi" } }).maxHeap).toBe("8192M");
    });

    it("falls back to the request, then to a 1 GiB heap", () => {
      expect(cassandraHeap({ requests: { memory: "1536Mi" } }).maxHeap).toBe("768M");
      expect(cassandraHeap({ requests: { cpu: "1" } }).maxHeap).toBe("1024M");
    });

    it("gives a container under a 1 GiB limit a heap that fits in it", () => {
      const small = brokerFixture({
        storage: {
          type: "cassandra",
          cassandra: { managed: { resources: { limits: { memory: "1Gi" } } } },
        },
      });
      const container = renderCassandraStatefulSet(small, contextFixture()).spec?.template.spec
        ?.containers[0] as V1Container;
      const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
      expect(env).toMatchObject({ MAX_HEAP_SIZE: "512M", HEAP_NEWSIZE: "128M" });
      expect(container.resources?.limits).toEqual({ memory: "1Gi" });
    });
  });
});
