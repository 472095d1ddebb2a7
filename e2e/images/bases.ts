/**
 * The base images the Dockerfiles start FROM. Where one is missing from the local engine it is
 * made from a cached root filesystem (rootfs.ts) and imported under the official tag, so the
 * Dockerfiles stay the same on machines that pull from a registry and on those that cannot.
 */
import { importArgs } from "./docker-args.ts";
import { docker, imageExists } from "./docker.ts";
import { parseNodeBase } from "./dockerfile.ts";
import { baseImageEnv, rootfsTarball } from "./rootfs.ts";

export interface BaseImage {
  readonly tag: string;
  /** Present already, or imported now (with the seconds it took, debootstrap included). */
  readonly created: boolean;
  readonly seconds: number;
}

export async function ensureBaseImages(tags: readonly string[]): Promise<BaseImage[]> {
  const results: BaseImage[] = [];
  for (const tag of tags) {
    const started = performance.now();
    const present = await imageExists(tag);
    if (!present) {
      const base = parseNodeBase(tag);
      await docker(importArgs(await rootfsTarball(base), tag, baseImageEnv(base)));
    }
    results.push({ tag, created: !present, seconds: (performance.now() - started) / 1000 });
  }
  return results;
}
