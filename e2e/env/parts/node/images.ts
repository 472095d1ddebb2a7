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
 * The pause image from Debian's busybox-static: its only job is to hold the
 * pod's namespaces, which `sleep` does; the runtime kills it with SIGKILL.
 */
export async function ensurePauseImage(busybox: string): Promise<void> {
  if (await imageExists(pauseImage)) return;
  const dir = await mkdtemp(join(tmpdir(), "herald-pause-"));
  try {
    const rootfs = join(dir, "rootfs");
    await run("install", ["-D", "-m", "0755", busybox, join(rootfs, "bin", "busybox")], {
      part,
      remedy: "install busybox-static",
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
        'ENTRYPOINT ["/bin/busybox", "sleep", "2147483647"]',
        "--change",
        "USER 65535:65535",
        tar,
        pauseImage,
      ],
      { logFile: paths.buildLog },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
