import { describe, expect, test } from "vitest";
import { imageRepository, pinListenAddresses, planProcess, type PlanInput } from "./entrypoint.ts";
import { brokerPod } from "./test-pods.ts";

const broker = brokerPod().spec.containers[0];
if (!broker) throw new Error("no broker container");

const input = (overrides: Partial<PlanInput> = {}): PlanInput => ({
  container: broker,
  env: { POD_NAME: "orders-0", HERALD_GRPC_ADDR: "0.0.0.0:50051", HERALD_STORE: "memory" },
  podIP: "127.0.10.9",
  hostname: "orders-0",
  repoRoot: "/repo",
  node: "/opt/node",
  ...overrides,
});

test.each([
  ["herald-broker", "herald-broker"],
  ["herald-broker:0.1.0", "herald-broker"],
  ["registry.example:5000/team/herald-broker:1.2", "herald-broker"],
  ["ghcr.io/x/herald-broker@sha256:abc", "herald-broker"],
  ["ghcr.io/x/herald-broker:1@sha256:abc", "herald-broker"],
  ["envoyproxy/envoy:v1.34.1", "envoy"],
])("imageRepository(%s) = %s", (image, repository) => {
  expect(imageRepository(image)).toBe(repository);
});

describe("planProcess", () => {
  test("the broker image runs the checkout's broker with the pod's env, bound to the pod's IP", () => {
    const plan = planProcess(input());
    expect(plan).toEqual({
      runnable: true,
      argv: ["/opt/node", "--no-allocation-site-pretenuring", "/repo/broker/main.ts"],
      cwd: "/repo",
      env: {
        PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        HOSTNAME: "orders-0",
        POD_NAME: "orders-0",
        HERALD_STORE: "memory",
        HERALD_GRPC_ADDR: "127.0.10.9:50051",
        HERALD_HTTP_ADDR: "127.0.10.9:9464",
        HERALD_WORKER_GRPC_ADDR: "127.0.10.9:50100",
        HERALD_WORKER_CLUSTER_ADDR: "127.0.10.9:50200",
      },
    });
  });

  test("a broker of several workers gets each worker's listeners on the pod's IP", () => {
    const env = {
      POD_NAME: "orders-0",
      HERALD_WORKERS: "4",
      HERALD_WORKER_GRPC_ADDR: "0.0.0.0:50100",
      HERALD_WORKER_CLUSTER_ADDR: "0.0.0.0:51200",
    };
    const plan = planProcess(input({ env }));
    expect(plan.runnable && plan.env).toMatchObject({
      HERALD_WORKERS: "4",
      HERALD_WORKER_GRPC_ADDR: "127.0.10.9:50100",
      HERALD_WORKER_CLUSTER_ADDR: "127.0.10.9:51200",
    });
  });

  test("container args follow the program, with $(VAR) expanded", () => {
    const plan = planProcess(
      input({ container: { ...broker, args: ["--name=$(POD_NAME)", "x"] } }),
    );
    expect(plan.runnable && plan.argv.slice(3)).toEqual(["--name=orders-0", "x"]);
  });

  test("an image without a program, or a command override, is refused with a reason", () => {
    expect(planProcess(input({ container: { ...broker, image: "postgres:17" } }))).toMatchObject({
      runnable: false,
      reason: "ImageNotRunnable",
    });
    expect(planProcess(input({ container: { ...broker, command: ["/bin/sh"] } }))).toMatchObject({
      runnable: false,
      reason: "CreateContainerError",
    });
  });
});

test("pinListenAddresses keeps the configured port, else the program's default", () => {
  const ports = { A_ADDR: 1000, B_ADDR: 2000, C_ADDR: 3000, D_ADDR: null, E_ADDR: null };
  expect(
    pinListenAddresses(
      { A_ADDR: "0.0.0.0:7000", B_ADDR: "[::]:7001", D_ADDR: "0.0.0.0:8080" },
      ports,
      "127.0.10.3",
    ),
  ).toEqual({
    A_ADDR: "127.0.10.3:7000",
    B_ADDR: "127.0.10.3:7001",
    C_ADDR: "127.0.10.3:3000",
    D_ADDR: "127.0.10.3:8080",
  });
});
