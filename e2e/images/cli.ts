// `make images`: start the engine if needed, create missing base images, build both images.
import { Command } from "commander";
import { EnvError } from "../../testing/env-error.ts";
import { buildImages } from "./build.ts";
import { EngineError, ensureEngine } from "./engine.ts";

const seconds = (s: number) => `${s.toFixed(1)}s`;
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const say = (line: string) => process.stderr.write(`images: ${line}\n`);

async function build(options: { tag?: string; localBases: boolean }): Promise<void> {
  const started = performance.now();
  const engine = await ensureEngine();
  say(`engine ${engine.version}${engine.started ? " (dockerd started)" : ""}`);
  try {
    const result = await buildImages({ tag: options.tag, useLocalBases: options.localBases });
    for (const base of result.bases) {
      say(
        `${base.tag}: ${base.created ? `created locally in ${seconds(base.seconds)}` : "present"}`,
      );
    }
    for (const image of result.images) {
      say(`${image.image}: built in ${seconds(image.seconds)}, ${megabytes(image.bytes)}`);
    }
    say(`done in ${seconds((performance.now() - started) / 1000)}; build log ${result.logFile}`);
  } finally {
    await engine.stop();
  }
}

const program = new Command("images")
  .description("build the herald-broker and herald-operator container images")
  .showHelpAfterError();
program
  .command("build", { isDefault: true })
  .description("ensure the engine and base images, then build both images")
  .option("--tag <tag>", "image tag (default: the package.json version)")
  .option("--no-local-bases", "let docker build pull node:* instead of creating them locally")
  .action(build);

program.parseAsync().catch((err: unknown) => {
  const oneLine = err instanceof EnvError || err instanceof EngineError;
  process.stderr.write(`${oneLine ? err.message : String(err)}\n`);
  process.exit(1);
});
