import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { podWorkersMembership, workerConfig } from "./worker-config.ts";

const pod = {
  POD_NAME: "orders-0",
  HERALD_WORKERS: "3",
  HERALD_WORKER_GRPC_ADDR: "10.0.0.5:50100",
  HERALD_WORKER_CLUSTER_ADDR: "10.0.0.5:50200",
};

describe("a worker's configuration", () => {
  it("is the pod's, as member <pod>~<i> with its own gRPC and cluster ports", () => {
    const worker = workerConfig(loadConfig(pod), 2);
    expect(worker.cluster.self).toBe("orders-0~2");
    expect(worker.workerGrpcAddress).toEqual({ host: "10.0.0.5", port: 50102 });
    expect(worker.cluster.listenAddress).toEqual({ host: "10.0.0.5", port: 50202 });
    expect(worker.cluster.listenVariable).toBe("HERALD_WORKER_CLUSTER_ADDR");
    // Every worker shares the pod's client port.
    expect(worker.grpcAddress).toEqual(loadConfig(pod).grpcAddress);
  });

  it("serves the pod's workers as the whole cluster when given no membership", () => {
    const config = loadConfig(pod);
    expect(workerConfig(config, 0).cluster.membership).toEqual({
      kind: "static",
      members: podWorkersMembership(config),
    });
    expect(podWorkersMembership(config)).toEqual({
      epoch: 1,
      members: [0, 1, 2].map((index) => ({
        name: `orders-0~${index}`,
        address: `10.0.0.5:${50100 + index}`,
        clusterAddress: `10.0.0.5:${50200 + index}`,
      })),
    });
  });

  it("keeps a membership it is given: the operator lists every worker", () => {
    const watched = { ...pod, HERALD_MEMBERSHIP_CONFIGMAP: "orders", POD_NAMESPACE: "shop" };
    expect(workerConfig(loadConfig(watched), 1).cluster.membership).toEqual({
      kind: "kubernetes",
      namespace: "shop",
      configMap: "orders",
    });
  });
});
