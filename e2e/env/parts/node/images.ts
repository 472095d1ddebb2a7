import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { docker, imageExists } from "../../../images/docker.ts";
import { run } from "../../../../testing/run.ts";
import { pauseImage } from "./flags.ts";
import { paths } from "./layout.ts";

/**
 * Images on the node. No registry is reachable, so each image is made or
 * built with the local engine (e2e/images), saved, and imported into the
 * node's containerd under the name pods use.
 */
const part = "node";

export async function importImages(ctr: string, images: readonly string[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "herald-node-images-"));
  const ns = ["--address", paths.containerdSocket, "-n", "k8s.io"];
  const opts = {
    part,
    logFile: paths.buildLog,
    remedy: `see ${paths.buildLog}; the node's containerd must be running`,
  };
  try {
    const archive = join(dir, "images.tar");
    await docker(["save", "-o", archive, ...images], { logFile: paths.buildLog });
    const imported = importedDigests(await run(ctr, [...ns, "images", "import", archive], opts));
    // containerd's image store survives node-down; drop what an earlier run imported under these
    // tags (and the CRI's references to it), so each run's rebuilt images do not pile up.
    const stale = staleRefs(
      await run(ctr, [...ns, "images", "ls"], { part, remedy: "" }),
      imported,
    );
    // Nothing parsed from the import's output means nothing is known to keep: delete nothing.
    if (imported.size > 0 && stale.length > 0)
      await run(ctr, [...ns, "images", "rm", "--sync", ...stale], opts);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The manifest digests `ctr images import` reports ("unpacking <ref> (sha256:…)...done"). */
export function importedDigests(output: string): Set<string> {
  return new Set(
    Array.from(output.matchAll(/^unpacking \S+ \((sha256:[0-9a-f]{64})\)/gm), (m) => m[1] ?? ""),
  );
}

/**
 * References in `ctr images ls` (REF TYPE DIGEST …) to anything but the images just imported:
 * earlier builds' tags and the references the CRI plugin adds by image ID and repo digest. Every
 * node-up imports every image the node runs, so nothing else is needed.
 */
export function staleRefs(listing: string, keep: ReadonlySet<string>): string[] {
  return listing
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter(([ref, , digest]) => ref && digest && !keep.has(digest))
    .map(([ref]) => ref ?? "");
}

/**
 * An image of one static binary and nothing else, made with `docker import`
 * once per tag (the tag carries the binary's version).
 */
export async function ensureBinaryImage(image: {
  tag: string;
  binary: string;
  /** Where the binary goes inside the image. */
  path: string;
  entrypoint: readonly string[];
  user: string;
}): Promise<void> {
  if (await imageExists(image.tag)) return;
  const dir = await mkdtemp(join(tmpdir(), "herald-node-image-"));
  try {
    const rootfs = join(dir, "rootfs");
    await run("install", ["-D", "-m", "0755", image.binary, join(rootfs, image.path)], {
      part,
      remedy: `check ${image.binary}`,
    });
    const tar = join(dir, "rootfs.tar");
    await run("tar", ["-C", rootfs, "--owner=0", "--group=0", "-cf", tar, "."], {
      part,
      remedy: "install tar",
    });
    await docker(
      [
        "import",
        "--change",
        `ENTRYPOINT ${JSON.stringify(image.entrypoint)}`,
        "--change",
        `USER ${image.user}`,
        tar,
        image.tag,
      ],
      { logFile: paths.buildLog },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The pause image from Debian's busybox-static: its only job is to hold the
 * pod's namespaces, which `sleep` does; the runtime kills it with SIGKILL.
 */
export const ensurePauseImage = (busybox: string): Promise<void> =>
  ensureBinaryImage({
    tag: pauseImage,
    binary: busybox,
    path: "bin/busybox",
    entrypoint: ["/bin/busybox", "sleep", "2147483647"],
    user: "65535:65535",
  });
