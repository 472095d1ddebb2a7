/**
 * What the process kubelet runs for a container image. There is no container runtime: an image
 * maps to a program of this checkout, which stands in for the image's ENTRYPOINT (the image
 * would contain the same program, built).
 *
 *   herald-broker[:tag]  →  node <repo>/broker/main.ts <container args…>
 *
 * The registry, tag and digest are ignored, so any broker version the operator renders runs the
 * checkout. A container `command` would replace the ENTRYPOINT with a path inside the image,
 * which does not exist here: it is refused.
 */
import { join } from "node:path";
import { brokerNodeFlags } from "../../broker/node-flags.ts";
import { brokerPorts } from "../../contract/ports.ts";
import { expandArgs } from "./env.ts";
import type { Container } from "./pod-schema.ts";

export interface ImageProgram {
  /** The program the image's ENTRYPOINT runs, relative to the repository root. */
  script: string;
  /** The flags the image's ENTRYPOINT gives node before the program. */
  nodeFlags: readonly string[];
  /**
   * Variables holding `host:port` listen addresses, with the program's default port, or null for a
   * listener that is off while its variable is unset. Every pod shares the host's network, so the
   * kubelet binds them to the pod's own loopback address.
   */
  listenAddresses: Readonly<Record<string, number | null>>;
}

export const imagePrograms: Readonly<Record<string, ImageProgram>> = {
  "herald-broker": {
    script: "broker/main.ts",
    nodeFlags: brokerNodeFlags,
    // The broker's defaults, 0.0.0.0:50051 and 0.0.0.0:9464; the cluster port and the gateway only when set (broker/README.md).
    // With HERALD_WORKERS > 1, worker i listens on each worker base's port + i: on the pod's own
    // address those ranges are free whatever another pod runs, and the membership's addresses
    // (the pod's name, port + i) resolve to it through /etc/hosts (hosts.ts).
    listenAddresses: {
      HERALD_GRPC_ADDR: brokerPorts.grpc.port,
      HERALD_HTTP_ADDR: brokerPorts.http.port,
      HERALD_CLUSTER_ADDR: null,
      HERALD_WEB_ADDR: null,
      HERALD_WORKER_GRPC_ADDR: brokerPorts.workerGrpc.port,
      HERALD_WORKER_CLUSTER_ADDR: brokerPorts.workerCluster.port,
    },
  },
};

/** "registry:5000/team/herald-broker:1.2@sha256:…" → "herald-broker". */
export function imageRepository(image: string): string {
  const withoutDigest = image.split("@")[0] ?? "";
  const lastSegment = withoutDigest.split("/").at(-1) ?? "";
  return lastSegment.split(":")[0] ?? "";
}

export type ProcessPlan =
  | { runnable: true; argv: string[]; env: Record<string, string>; cwd: string }
  | { runnable: false; reason: string; message: string };

export interface PlanInput {
  container: Container;
  /** The container's resolved env (see env.ts). */
  env: Readonly<Record<string, string>>;
  podIP: string;
  hostname: string;
  repoRoot: string;
  /** The Node.js binary to run programs with. */
  node: string;
}

/** A fresh container sees only its image's env and the pod's; never the kubelet's (no KUBECONFIG). */
const imageEnv = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };

/** The command line and env of a container's process, or why it cannot run here. */
export function planProcess(input: PlanInput): ProcessPlan {
  const { container, env, podIP, hostname, repoRoot, node } = input;
  const image = container.image ?? "";
  const program = imagePrograms[imageRepository(image)];
  if (!program) {
    return {
      runnable: false,
      reason: "ImageNotRunnable",
      message: `the process kubelet runs only ${Object.keys(imagePrograms).join(", ")} images, not "${image}"`,
    };
  }
  if (container.command?.length) {
    return {
      runnable: false,
      reason: "CreateContainerError",
      message:
        "the process kubelet maps an image's ENTRYPOINT to the checkout; a container command cannot be mapped",
    };
  }
  const processEnv = {
    ...imageEnv,
    HOSTNAME: hostname,
    ...env,
    ...pinListenAddresses(env, program.listenAddresses, podIP),
  };
  return {
    runnable: true,
    argv: [
      node,
      ...program.nodeFlags,
      join(repoRoot, program.script),
      ...expandArgs(container.args ?? [], env),
    ],
    env: processEnv,
    cwd: repoRoot,
  };
}

/**
 * Each listen address on the pod's IP, keeping its port (the program's default when unset; a
 * listener without a default stays off).
 */
export function pinListenAddresses(
  env: Readonly<Record<string, string>>,
  listenAddresses: Readonly<Record<string, number | null>>,
  podIP: string,
): Record<string, string> {
  const pinned: Record<string, string> = {};
  for (const [name, defaultPort] of Object.entries(listenAddresses)) {
    const port = /:(\d{1,5})$/.exec(env[name] ?? "")?.[1] ?? defaultPort;
    if (port !== null) pinned[name] = `${podIP}:${port}`;
  }
  return pinned;
}
