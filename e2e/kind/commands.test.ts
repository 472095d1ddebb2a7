import { expect, test } from "vitest";
import {
  helmInstallArgs,
  kindCreateArgs,
  kindLoadArgs,
  kubectlArgs,
  portForwardArgs,
} from "./commands.ts";

test("kind creates, and loads both e2e images into, the named cluster", () => {
  expect(kindCreateArgs("c1")).toEqual(["create", "cluster", "--name", "c1", "--wait", "180s"]);
  expect(kindLoadArgs("c1")).toEqual([
    "load",
    "docker-image",
    "herald-broker:e2e",
    "herald-operator:e2e",
    "--name",
    "c1",
  ]);
});

test("helm installs the chart into herald-system on the kind context with the loaded images", () => {
  const args = helmInstallArgs("c1", "/repo/charts/herald/");
  expect(args.slice(0, 9)).toEqual([
    "upgrade",
    "--install",
    "herald",
    "/repo/charts/herald/",
    "--kube-context",
    "kind-c1",
    "--namespace",
    "herald-system",
    "--create-namespace",
  ]);
  expect(args).toEqual(
    expect.arrayContaining([
      "--set-string=image.repository=herald-operator",
      "--set-string=image.tag=e2e",
      "--set-string=image.pullPolicy=Never",
      "--set-string=broker.image.repository=herald-broker",
      "--set-string=broker.image.tag=e2e",
      "--wait",
    ]),
  );
});

test("kubectl targets the kind context and a namespace; port-forward listens on IPv4 loopback", () => {
  expect(kubectlArgs("c1", "ns", ["get", "pods"])).toEqual([
    "--context",
    "kind-c1",
    "-n",
    "ns",
    "get",
    "pods",
  ]);
  expect(portForwardArgs("c1", "ns", "orders-0", 50051).slice(4)).toEqual([
    "port-forward",
    "--address",
    "127.0.0.1",
    "pod/orders-0",
    ":50051",
  ]);
});
