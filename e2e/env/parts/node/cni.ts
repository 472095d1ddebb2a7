import { network, paths } from "./layout.ts";

/** Where Debian's containernetworking-plugins installs the plugins. */
export const cniBinDir = "/usr/lib/cni";

/**
 * The pod network: the `bridge` plugin on the node's bridge with `host-local`
 * addresses from the pod /24. Pods get one route, to the Service range
 * through the bridge, and no default route; ipMasq is off, so no packet is
 * rewritten towards the machine's own interfaces. Hairpin mode lets a pod
 * reach itself through its own Service.
 */
export function cniConflist(): string {
  return JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: "herald-node",
      plugins: [
        {
          type: "bridge",
          bridge: network.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: network.podCidr, gateway: network.nodeIp }]],
            routes: [{ dst: network.serviceCidr }],
            dataDir: paths.cniDataDir,
          },
        },
      ],
    },
    null,
    2,
  );
}
