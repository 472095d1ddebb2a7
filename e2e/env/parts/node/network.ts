import { run } from "../../../../testing/run.ts";
import { network } from "./layout.ts";

/**
 * The node's bridge: created before anything binds to its address (the API
 * server and kubelet listen there), with the route that sends Service
 * addresses onto it. Pods attach to it through the CNI bridge plugin
 * (cni.ts). No default route, no masquerade rule towards other interfaces.
 */
const part = "node";
const remedy = "the node lane needs root and the ip command (iproute2) to manage its bridge";
const ip = (args: string[]): Promise<string> => run("ip", args, { part, remedy });

export async function bridgeUp(): Promise<void> {
  const exists = await ip(["-o", "link", "show", network.bridge]).then(
    () => true,
    () => false,
  );
  if (!exists) await ip(["link", "add", network.bridge, "type", "bridge"]);
  await ip(["addr", "replace", `${network.nodeIp}/${network.prefixLength}`, "dev", network.bridge]);
  await ip(["link", "set", network.bridge, "up"]);
  // The first route lookup of a packet to a Service address happens before
  // kube-proxy's DNAT; this makes it pick the bridge and its source address.
  await ip(["route", "replace", network.serviceCidr, "dev", network.bridge, "src", network.nodeIp]);
}

/** Removes the bridge, its address and route; pods' veths are gone with their sandboxes. */
export async function bridgeDown(): Promise<void> {
  await ip(["link", "del", network.bridge]).catch(() => undefined);
}
