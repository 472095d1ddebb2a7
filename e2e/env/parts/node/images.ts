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
  try {
    const archive = join(dir, "images.tar");
    await docker(["save", "-o", archive, ...images], { logFile: paths.buildLog });
    await run(
      ctr,
      ["--address", paths.containerdSocket, "-n", "k8s.io", "images", "import", archive],
      {
        part,
        logFile: paths.buildLog,
        remedy: `see ${paths.buildLog}; the node's containerd must be running`,
      },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
