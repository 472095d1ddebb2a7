/**
 * Replaces the files of a volume directory all at once, the way the kubelet does: the files live
 * in a hidden generation directory, `..data` is a symlink to the current one, and each visible
 * top-level entry is a symlink through `..data`. A new set is written to a fresh generation and
 * swapped in by renaming a new `..data` over the old, so a reader sees either every old file or
 * every new one (a certificate never paired with the previous key), and a directory watch sees
 * the rename. The volume directory itself stays, since it is bind-mounted.
 */
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { dirname, join, relative } from "node:path";

/** Relative path → content. */
export type Files = ReadonlyMap<string, string>;

const dataLink = "..data";
const dataLinkDraft = "..data_tmp";

/** The first path segment: what shows at the top of the volume directory. */
const topLevel = (path: string): string => path.split("/")[0] ?? path;

/** Every regular file under `root`, by path relative to it. */
async function readTree(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(root, path), await readFile(path, "utf8"));
  }
  return files;
}

const sameFiles = (a: Files, b: Files): boolean =>
  a.size === b.size && [...a].every(([path, content]) => b.get(path) === content);

async function currentGeneration(dir: string): Promise<string | undefined> {
  return readlink(join(dir, dataLink)).catch(() => undefined);
}

/** A name that sorts by time, as the kubelet's `..2006_01_02_15_04_05.<n>` generations do. */
const generationPrefix = (now: Date): string =>
  `..${now.toISOString().replace(/[-:]/g, "_").replace("T", "_").replace("Z", "")}.`;

/**
 * Makes `dir` show exactly `files`; returns false, touching nothing, when it already does. Not
 * safe to run twice at once on one directory: callers serialize.
 */
export async function writeAtomically(dir: string, files: Files, mode: number): Promise<boolean> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const previous = await currentGeneration(dir);
  if (previous !== undefined && sameFiles(await readTree(join(dir, previous)), files)) return false;

  const generation = await mkdtemp(join(dir, generationPrefix(new Date())));
  await chmod(generation, 0o755); // mkdtemp's 0700 would hide the files from other users
  for (const [path, content] of files) {
    const target = join(generation, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content, { mode });
  }
  const draft = join(dir, dataLinkDraft);
  await rm(draft, { force: true });
  await symlink(relative(dir, generation), draft);
  await rename(draft, join(dir, dataLink));

  const visible = new Set([...files.keys()].map(topLevel));
  for (const name of visible) {
    const link = join(dir, name);
    const existing = await lstat(link).catch(() => undefined);
    if (existing?.isSymbolicLink()) continue;
    if (existing) await rm(link, { recursive: true, force: true });
    await symlink(join(dataLink, name), link);
  }
  const current = relative(dir, generation);
  for (const name of await readdir(dir)) {
    const hidden = name.startsWith("..");
    const stale = hidden ? name !== dataLink && name !== current : !visible.has(name);
    if (stale) await rm(join(dir, name), { recursive: true, force: true });
  }
  return true;
}
