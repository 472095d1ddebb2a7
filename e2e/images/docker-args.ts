/**
 * Arguments of the docker commands the image tooling runs. Every build and container uses the
 * host network: the engine runs without a bridge, and no traffic may go to bridge addresses.
 */

export interface BuildSpec {
  readonly dockerfile: string;
  readonly tag: string;
  readonly context: string;
  readonly buildArgs?: Readonly<Record<string, string>>;
}

export function buildArgs(spec: BuildSpec): string[] {
  const args = Object.entries(spec.buildArgs ?? {}).flatMap(([k, v]) => [
    "--build-arg",
    `${k}=${v}`,
  ]);
  return [
    "build",
    "--network",
    "host",
    "--file",
    spec.dockerfile,
    "--tag",
    spec.tag,
    ...args,
    spec.context,
  ];
}

/** `docker import` of a root filesystem tarball, with the config a `FROM` image needs. */
export function importArgs(
  tarball: string,
  tag: string,
  env: Readonly<Record<string, string>>,
): string[] {
  const changes = Object.entries(env).flatMap(([k, v]) => ["--change", `ENV ${k}=${v}`]);
  return ["import", ...changes, "--change", 'CMD ["node"]', tarball, tag];
}

export interface RunSpec {
  readonly name: string;
  readonly image: string;
  readonly env?: Readonly<Record<string, string>>;
  /** host path → container path, mounted read-only. */
  readonly readOnlyMounts?: Readonly<Record<string, string>>;
  readonly entrypoint?: readonly string[];
}

/**
 * A detached container hardened as the chart runs it: a non-root uid, read-only root filesystem
 * with a tmpfs /tmp, no capabilities, no privilege escalation.
 */
export function runArgs(spec: RunSpec): string[] {
  const env = Object.entries(spec.env ?? {}).flatMap(([k, v]) => ["--env", `${k}=${v}`]);
  const mounts = Object.entries(spec.readOnlyMounts ?? {}).flatMap(([host, path]) => [
    "--volume",
    `${host}:${path}:ro`,
  ]);
  const [command, ...rest] = spec.entrypoint ?? [];
  const entrypoint = command === undefined ? [] : ["--entrypoint", command];
  return [
    "run",
    "--detach",
    "--name",
    spec.name,
    "--network",
    "host",
    "--read-only",
    "--tmpfs",
    "/tmp",
    "--user",
    "10001:10001",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    ...env,
    ...mounts,
    ...entrypoint,
    spec.image,
    ...rest,
  ];
}
