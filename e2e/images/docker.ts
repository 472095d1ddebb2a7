import { existsSync } from "node:fs";
import { EnvError } from "../../testing/env-error.ts";
import { run } from "../../testing/run.ts";

/**
 * The Docker CLI of Debian's docker.io package, which ensureEngine installs when it is missing;
 * elsewhere (a kind user's machine) whichever docker is on PATH.
 */
export const dockerCli = existsSync("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

export interface DockerOptions {
  /** Append the command and its output here (builds are long; the log is kept). */
  readonly logFile?: string;
}

/** Runs `docker …` to completion; throws an EnvError quoting the last output line on failure. */
export function docker(args: string[], options: DockerOptions = {}): Promise<string> {
  return run(dockerCli, args, {
    part: "docker",
    remedy: options.logFile ? `see ${options.logFile}` : `run: docker ${args.join(" ")}`,
    // Debian's engine is 20.10, whose BuildKit front end needs a buildx plugin it lacks.
    env: { ...process.env, DOCKER_BUILDKIT: "0" },
    logFile: options.logFile,
  });
}

export async function imageExists(tag: string): Promise<boolean> {
  return docker(["image", "inspect", "--format", "{{.Id}}", tag]).then(
    () => true,
    (err: unknown) => {
      if (err instanceof EnvError) return false;
      throw err;
    },
  );
}

/** Size in bytes of a local image, as `docker images` shows it. */
export async function imageSize(tag: string): Promise<number> {
  return Number((await docker(["image", "inspect", "--format", "{{.Size}}", tag])).trim());
}
