/** A container of the image tests: started hardened (docker-args.ts runArgs), watched, stopped. */
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { runArgs, type RunSpec } from "./docker-args.ts";
import { docker } from "./docker.ts";

const stateSchema = z.object({ Running: z.boolean(), ExitCode: z.number().int() });

export interface Stopped {
  readonly exitCode: number;
  readonly seconds: number;
}

export class Container {
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  static async run(spec: RunSpec): Promise<Container> {
    await docker(runArgs(spec));
    return new Container(spec.name);
  }

  async state(): Promise<z.infer<typeof stateSchema>> {
    const out = await docker(["inspect", "--format", "{{json .State}}", this.name]);
    return stateSchema.parse(JSON.parse(out));
  }

  logs(): Promise<string> {
    return docker(["logs", this.name]);
  }

  /** Polls `url` until it answers 200; fails at once, with the logs, if the container exits. */
  async waitForHttp(url: string, timeoutMs: number): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < timeoutMs) {
      const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) return (performance.now() - started) / 1000;
      const { Running, ExitCode } = await this.state();
      if (!Running) throw new Error(`${this.name} exited ${ExitCode}:\n${await this.logs()}`);
      await sleep(200);
    }
    throw new Error(`${url} not answering after ${timeoutMs} ms:\n${await this.logs()}`);
  }

  /** `docker stop` (SIGTERM, SIGKILL after `graceSeconds`), timed. */
  async stop(graceSeconds: number): Promise<Stopped> {
    const started = performance.now();
    await docker(["stop", "--time", String(graceSeconds), this.name]);
    return {
      exitCode: (await this.state()).ExitCode,
      seconds: (performance.now() - started) / 1000,
    };
  }

  /** Sends `signal` and waits for the exit, timed. */
  async signal(signal: NodeJS.Signals): Promise<Stopped> {
    const started = performance.now();
    await docker(["kill", "--signal", signal, this.name]);
    return { exitCode: await this.wait(), seconds: (performance.now() - started) / 1000 };
  }

  /** The exit code, once the container has exited. */
  async wait(): Promise<number> {
    return Number((await docker(["wait", this.name])).trim());
  }

  async remove(): Promise<void> {
    await docker(["rm", "--force", this.name]).catch(() => undefined);
  }
}
