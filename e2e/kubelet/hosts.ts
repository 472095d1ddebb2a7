/**
 * Name resolution for the pods of this node, in place of cluster DNS: each pod's /etc/hosts
 * lists every pod's stable DNS name (`<hostname>.<subdomain>.<namespace>.svc.<domain>`, what
 * CoreDNS answers for a StatefulSet pod behind its headless Service) with its loopback address,
 * plus the pod's own hostname, as the kubelet writes it. So brokers reach their peers by the names
 * the operator publishes, and only ever on 127.0.10.x. Service names (cluster IPs) stay
 * unresolvable on purpose.
 */
import { readFile, writeFile } from "node:fs/promises";

export interface PodHost {
  ip: string;
  namespace: string;
  hostname: string;
  /** spec.subdomain: the headless Service; without it a pod has no DNS name. */
  subdomain: string | undefined;
}

export function podFqdn(pod: PodHost, clusterDomain: string): string | undefined {
  if (!pod.subdomain) return undefined;
  return `${pod.hostname}.${pod.subdomain}.${pod.namespace}.svc.${clusterDomain}`;
}

/** The /etc/hosts of `self`, which sees every pod in `pods` (itself included). */
export function renderHosts(
  self: PodHost,
  pods: readonly PodHost[],
  clusterDomain: string,
): string {
  const lines = [
    "# Kubernetes-managed hosts file (process kubelet).",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
  ];
  const selfFqdn = podFqdn(self, clusterDomain);
  lines.push([self.ip, ...(selfFqdn ? [selfFqdn] : []), self.hostname].join("\t"));
  const others = pods
    .filter((pod) => pod.ip !== self.ip)
    .map((pod) => ({ ip: pod.ip, fqdn: podFqdn(pod, clusterDomain) }))
    .filter((pod): pod is { ip: string; fqdn: string } => pod.fqdn !== undefined)
    .sort((a, b) => a.fqdn.localeCompare(b.fqdn));
  for (const { ip, fqdn } of others) lines.push(`${ip}\t${fqdn}`);
  return `${lines.join("\n")}\n`;
}

/**
 * Rewrites `path` in place when its content changes: it is bind-mounted as a single file, so a
 * rename (a new inode) would not reach the process.
 */
export async function writeHostsFile(path: string, content: string): Promise<void> {
  const current = await readFile(path, "utf8").catch(() => undefined);
  if (current !== content) await writeFile(path, content);
}
