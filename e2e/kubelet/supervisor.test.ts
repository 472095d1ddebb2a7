import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { Supervisor, type Prepared, type SupervisorOptions } from "./supervisor.ts";
import { until } from "../../testing/until.ts";

let dir: string;
let supervisors: Supervisor[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "supervisor-test-"));
});
afterEach(async () => {
  await Promise.all(supervisors.map((supervisor) => supervisor.stop(100)));
  supervisors = [];
  await rm(dir, { recursive: true, force: true });
});

/** A Node.js one-liner as the container's program. */
const program = (source: string): Prepared => ({
  spawn: { file: process.execPath, args: ["-e", source], env: {}, cwd: dir },
});

function supervise(
  prepare: () => Prepared | Promise<Prepared>,
  options: Partial<SupervisorOptions> = {},
) {
  const supervisor = new Supervisor({
    name: "ns/pod/c",
    restartPolicy: "Always",
    prepare: () => Promise.resolve(prepare()),
    logFile: join(dir, "pod.log"),
    backoff: { initialMs: 200, maxMs: 400 },
    restartCount: 0,
    resumed: false,
    onChange: () => undefined,
    log: pino({ level: "silent" }),
    ...options,
  });
  supervisors.push(supervisor);
  supervisor.start();
  return supervisor;
}

/** State changes come within milliseconds; poll often so that short-lived states are seen. */
const often = { timeoutMs: 10_000, intervalMs: 10 };

describe("Supervisor", () => {
  test("runs the program with its env and cwd, output appended to the log", async () => {
    const supervisor = supervise(() => ({
      spawn: {
        file: process.execPath,
        args: [
          "-e",
          "console.log(process.env.GREETING, process.cwd()); setInterval(() => {}, 1000)",
        ],
        env: { GREETING: "hello" },
        cwd: dir,
      },
    }));
    await until("running", () => supervisor.state.kind === "running", often);
    await until("output", () => supervisor.pid !== undefined, often);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const log = await readFile(join(dir, "pod.log"), "utf8");
    expect(log).toContain("--- process kubelet: ns/pod/c starting (restart 0)");
    expect(log).toContain(`hello ${dir}`);
  });

  test("restarts a crashing program: at once, then with doubling backoff, counting restarts", async () => {
    const starts: number[] = [];
    const supervisor = supervise(
      () => {
        starts.push(Date.now());
        return { spawn: { file: "/bin/sh", args: ["-c", "exit 3"], env: {}, cwd: dir } };
      },
      { backoff: { initialMs: 300, maxMs: 600 } },
    );
    await until("three restarts", () => supervisor.restartCount >= 3, often);
    expect(supervisor.lastTermination).toMatchObject({
      kind: "terminated",
      exitCode: 3,
      reason: "Error",
    });
    const gaps = starts.slice(1, 4).map((at, i) => at - (starts[i] ?? 0));
    expect(gaps[0]).toBeLessThan(250); // the first restart does not wait
    expect(gaps[1]).toBeGreaterThanOrEqual(295);
    expect(gaps[2]).toBeGreaterThanOrEqual(595);
    await until("back-off", () => supervisor.state.kind === "waiting", often);
    expect(supervisor.state).toMatchObject({ kind: "waiting", reason: "CrashLoopBackOff" });
  });

  test("stop: SIGTERM, a clean exit, no restart", async () => {
    const supervisor = supervise(() =>
      program("process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)"),
    );
    await until("running", () => supervisor.state.kind === "running", often);
    await new Promise((resolve) => setTimeout(resolve, 300)); // let it install its handler
    await supervisor.stop(5000);
    expect(supervisor.state).toMatchObject({
      kind: "terminated",
      exitCode: 0,
      reason: "Completed",
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(supervisor.state.kind).toBe("terminated");
    expect(supervisor.restartCount).toBe(0);
  });

  test("stop: SIGKILL once the grace period is over", async () => {
    const supervisor = supervise(() =>
      program("process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)"),
    );
    await until("running", () => supervisor.state.kind === "running", often);
    await new Promise((resolve) => setTimeout(resolve, 300)); // let it install its handler
    const started = Date.now();
    await supervisor.stop(300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(supervisor.state).toMatchObject({ kind: "terminated", exitCode: 137, signal: 9 });
  });

  test("kill (a failed liveness probe) ends the run and the policy restarts it", async () => {
    const supervisor = supervise(() => program("setInterval(() => {}, 1000)"));
    await until("running", () => supervisor.state.kind === "running", often);
    const first = supervisor.pid;
    await supervisor.kill(1000);
    await until(
      "a new process",
      () => supervisor.pid !== undefined && supervisor.pid !== first,
      often,
    );
    expect(supervisor.restartCount).toBe(1);
  });

  test("OnFailure leaves a successful exit alone", async () => {
    const supervisor = supervise(() => program("process.exit(0)"), {
      restartPolicy: "OnFailure",
    });
    await until("terminated", () => supervisor.state.kind === "terminated", often);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(supervisor.state).toMatchObject({ kind: "terminated", reason: "Completed" });
    expect(supervisor.restartCount).toBe(0);
  });

  test("a container that cannot start waits with its reason; retried only when retrying can help", async () => {
    let attempts = 0;
    const never = supervise(() => {
      attempts++;
      return { notStartable: { reason: "ImageNotRunnable", message: "no", retry: false } };
    });
    await until("waiting", () => never.state.kind === "waiting" && attempts === 1, often);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(attempts).toBe(1);
    expect(never.state).toMatchObject({ reason: "ImageNotRunnable", message: "no" });

    let tries = 0;
    const later = supervise(() =>
      ++tries < 3
        ? {
            notStartable: { reason: "CreateContainerConfigError", message: "missing", retry: true },
          }
        : program("setInterval(() => {}, 1000)"),
    );
    await until("running after retries", () => later.state.kind === "running", often);
    expect(later.restartCount).toBe(0); // failed preparations are not restarts
  });

  test("a preparation that waits for something is retried at once when asked, not after its backoff", async () => {
    let ready = false;
    let attempts = 0;
    const supervisor = supervise(
      () => {
        attempts++;
        return ready
          ? program("setInterval(() => {}, 1000)")
          : { notStartable: { reason: "ContainerCreating", message: "no secret", retry: true } };
      },
      // A retry of its own would come long after the test's bound.
      { backoff: { initialMs: 600_000, maxMs: 600_000 } },
    );
    await until("waiting", () => supervisor.state.kind === "waiting" && attempts === 1, often);
    ready = true;
    supervisor.retryPrepareNow();
    await until("running", () => supervisor.state.kind === "running", often);
    expect(attempts).toBe(2);
  });

  test("a resumed container's first start counts as a restart", async () => {
    const supervisor = supervise(() => program("setInterval(() => {}, 1000)"), {
      restartCount: 4,
      resumed: true,
    });
    await until("running", () => supervisor.state.kind === "running", often);
    expect(supervisor.restartCount).toBe(5);
  });

  test("stop during a slow preparation leaves no process behind", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const supervisor = supervise(async () => {
      await gate;
      return program("setInterval(() => {}, 1000)");
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopped = supervisor.stop(1000);
    release();
    await stopped;
    expect(supervisor.pid).toBeUndefined();
    expect(supervisor.state.kind).not.toBe("running");
  });
});
