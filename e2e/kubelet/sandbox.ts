/**
 * The container boundary the process kubelet can offer without a runtime: a private mount
 * namespace (so the pod's volumes, the service-account token above all, appear at their mount
 * paths for this process only) and a private UTS namespace (so the hostname is the pod's).
 * Needs root, as a kubelet does.
 */

export interface BindMount {
  /** A directory the kubelet prepared on the host. */
  source: string;
  /** Where the container sees it; created inside the sandbox when a volume mounted before it hides it. */
  target: string;
  readOnly: boolean;
}

export interface SandboxSpec {
  hostname: string;
  mounts: readonly BindMount[];
  /** The program and its arguments. */
  argv: readonly string[];
}

/**
 * Runs in the new namespaces, then execs the program, so the process the kubelet spawned is the
 * program itself and signals reach it directly. Paths travel as arguments, never as script text.
 * Every source is opened before the first mount and mounted through its descriptor, so a mount
 * over a parent of another source (an emptyDir at /tmp, with the kubelet's files under /tmp)
 * cannot hide it.
 */
const script = `set -e
hostname "$1"; shift
fd=3
while [ "$1" != "--" ]; do eval "exec $fd<\\"\\$1\\""; fd=$((fd + 1)); shift; done
shift
fd=3
while [ "$1" != "--" ]; do
  [ -e "$1" ] || mkdir -p "$1"
  mount --no-canonicalize --bind "/proc/self/fd/$fd" "$1"
  if [ "$2" = ro ]; then mount -o remount,bind,ro "$1"; fi
  eval "exec $fd<&-"
  fd=$((fd + 1)); shift 2
done
shift
exec "$@"`;

/**
 * The command line that runs `spec.argv` in the sandbox. `setpriv --pdeathsig KILL` ties the
 * process to the kubelet: were the kubelet killed, its pods' processes would not be orphaned.
 */
export function sandboxCommand(spec: SandboxSpec): { file: string; args: string[] } {
  return {
    file: "setpriv",
    args: [
      "--pdeathsig",
      "KILL",
      "--",
      "unshare",
      "--mount",
      "--uts",
      "--propagation",
      "private",
      "--",
      // bash, not sh: dash redirects only descriptors 0 to 9, so a pod of more than seven mounts
      // (volumes, /etc/hosts, the checkout, the Node installation) could not start.
      "bash",
      "-c",
      script,
      "bash",
      spec.hostname,
      ...spec.mounts.map((mount) => mount.source),
      "--",
      ...spec.mounts.flatMap((mount) => [mount.target, mount.readOnly ? "ro" : "rw"]),
      "--",
      ...spec.argv,
    ],
  };
}

/** A valid hostname for a pod: the kubelet truncates it to 63 characters, without a trailing dash or dot. */
export function podHostname(hostname: string | undefined, podName: string): string {
  return (hostname ?? podName).slice(0, 63).replace(/[-.]+$/, "");
}
