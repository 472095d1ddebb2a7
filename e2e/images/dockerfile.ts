/** What the image builds need from outside: the base images named by the Dockerfiles' FROM lines. */

/** Images a Dockerfile starts from, leaving out its own stages (`FROM build`). */
export function externalBaseImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const bases: string[] = [];
  for (const line of dockerfile.split("\n")) {
    const from = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from?.[1] === undefined) continue;
    if (!stages.has(from[1]) && !bases.includes(from[1])) bases.push(from[1]);
    if (from[2] !== undefined) stages.add(from[2]);
  }
  return bases;
}

/** An official Node image tag such as node:24.21.0-bookworm or node:24.21.0-bookworm-slim. */
export interface NodeBase {
  readonly tag: string;
  readonly nodeVersion: string;
  /** Debian release, for debootstrap. */
  readonly suite: string;
  /** Slim: node alone; full: node, npm, npx and CA certificates. */
  readonly flavor: "full" | "slim";
}

export function parseNodeBase(tag: string): NodeBase {
  const match = /^node:(\d+\.\d+\.\d+)-([a-z]+)(-slim)?$/.exec(tag);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new Error(`${tag}: not a node:<x.y.z>-<debian release>[-slim] image`);
  }
  return {
    tag,
    nodeVersion: match[1],
    suite: match[2],
    flavor: match[3] === undefined ? "full" : "slim",
  };
}

/**
 * The npm that a Node release bundles: its CHANGELOG lists releases newest first, so the first
 * "upgrade npm to X" is the npm of the newest release in the file.
 */
export function bundledNpmVersion(changelog: string): string | undefined {
  return /upgrade npm to (\d+\.\d+\.\d+)/.exec(changelog)?.[1];
}
