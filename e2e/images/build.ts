/**
 * Builds the broker and operator images from Dockerfile.broker and Dockerfile.operator, for
 * `make images`, the image test and the kind end-to-end run. The engine must answer (engine.ts).
 */
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ensureDir } from "../env/daemon.ts";
import { partDir, repoRoot } from "../../testing/paths.ts";
import { ensureBaseImages, type BaseImage } from "./bases.ts";
import { buildArgs } from "./docker-args.ts";
import { docker, imageSize } from "./docker.ts";
import { externalBaseImages } from "./dockerfile.ts";

/** The repositories the chart points at (charts/herald/values.yaml). */
export const imageRepositories = { broker: "herald-broker", operator: "herald-operator" } as const;
export type Program = keyof typeof imageRepositories;
/** The label each Dockerfile sets to its repository name. */
const titleLabel = "org.opencontainers.image.title";

export interface BuildOptions {
  /** Image tag; the package.json version (the chart's appVersion) by default. */
  readonly tag?: string;
  /**
   * Create missing base images locally (debootstrap) instead of letting `docker build` pull
   * them; true by default, since these machines reach no image registry.
   */
  readonly useLocalBases?: boolean;
}

export interface BuiltImage {
  readonly program: Program;
  readonly image: string;
  readonly seconds: number;
  readonly bytes: number;
}

export interface BuildResult {
  readonly bases: readonly BaseImage[];
  readonly images: readonly BuiltImage[];
  /** Where the build output went. */
  readonly logFile: string;
}

export async function packageVersion(): Promise<string> {
  const text = await readFile(join(repoRoot, "package.json"), "utf8");
  return z.object({ version: z.string() }).parse(JSON.parse(text)).version;
}

function revision(): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

export async function buildImages(options: BuildOptions = {}): Promise<BuildResult> {
  const version = await packageVersion();
  const tag = options.tag ?? version;
  const programs = Object.keys(imageRepositories) as Program[];
  const dockerfile = (program: Program) => join(repoRoot, `Dockerfile.${program}`);

  const texts = await Promise.all(programs.map((p) => readFile(dockerfile(p), "utf8")));
  const baseTags = [...new Set(texts.flatMap(externalBaseImages))];
  const bases = options.useLocalBases === false ? [] : await ensureBaseImages(baseTags);

  const logFile = join(await ensureDir(partDir("images")), "build.log");
  const images: BuiltImage[] = [];
  // One after the other: the second reuses the first one's cached build stages.
  for (const program of programs) {
    const repository = imageRepositories[program];
    const image = `${repository}:${tag}`;
    const started = performance.now();
    await docker(
      buildArgs({
        dockerfile: dockerfile(program),
        tag: image,
        context: repoRoot,
        buildArgs: { VERSION: version, REVISION: revision() },
      }),
      { logFile },
    );
    // The image this tag named before is dangling now; removing it frees its cached stages too.
    await docker(["image", "prune", "--force", "--filter", `label=${titleLabel}=${repository}`]);
    const seconds = (performance.now() - started) / 1000;
    images.push({ program, image, seconds, bytes: await imageSize(image) });
  }
  return { bases, images, logFile };
}
