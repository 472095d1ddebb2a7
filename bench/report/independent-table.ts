/**
 * The independent load generators' table and ratios (bench/clients): ghz's unary calls against
 * the ceiling and Herald, `nats bench` against the NATS peer, the Go client's publish→deliver
 * latency. Every Herald ÷ ceiling and Herald ÷ NATS ratio comes from here.
 */
import type { BenchResult, IndependentPoint, IndependentSection, RuntimeWindow } from "./schema.ts";

type Attempt = IndependentSection["publish"][number];
type Latency = IndependentSection["latency"][number];

const point = (attempts: readonly Attempt[], target: string, clients: number) => {
  const found = attempts.find((a) => a.target === target && a.clients === clients);
  return found && !("status" in found) ? found : undefined;
};

const latencyOf = (latency: readonly Latency[], target: string) => {
  const found = latency.find((l) => l.target === target);
  return found && !("status" in found) ? found : undefined;
};

/** ghz's points against these, and the NATS peer's through `nats bench`. */
const grpcTargets = ["ceiling", "memory", "postgres"] as const;

export function independentRatios(
  section: IndependentSection,
  add: (label: string, herald: number, other: number) => void,
): void {
  const clientCounts = [...new Set(section.publish.map((a) => a.clients))];
  const maxClients = Math.max(...clientCounts);
  const rate = (attempts: readonly Attempt[], target: string, clients: number) =>
    point(attempts, target, clients)?.opsPerSec ?? NaN;
  const serverCpu = (attempts: readonly Attempt[], target: string, clients: number) =>
    point(attempts, target, clients)?.serverCpuUsPerOp ?? NaN;
  for (const clients of clientCounts.toSorted((a, b) => b - a))
    for (const store of ["memory", "postgres"])
      add(
        `${clients === maxClients && store === "memory" ? "headline: " : ""}${store} publish ÷ empty handler (ghz, ${clients} clients)`,
        rate(section.publish, store, clients),
        rate(section.publish, "ceiling", clients),
      );
  add(
    `server CPU per publish: memory ÷ empty handler (ghz, ${maxClients} clients; lower is better)`,
    serverCpu(section.publish, "memory", maxClients),
    serverCpu(section.publish, "ceiling", maxClients),
  );
  for (const store of ["memory", "postgres"])
    add(
      `${store} fetch ÷ empty handler (ghz, ${maxClients} clients)`,
      rate(section.fetch, store, maxClients),
      rate(section.fetch, "ceiling", maxClients),
    );
  for (const clients of clientCounts)
    for (const store of ["memory", "postgres"])
      add(
        `${store} publish (ghz) ÷ jetstream sync publish (nats bench), ${clients} clients`,
        rate(section.publish, store, clients),
        rate(section.nats, "jetstream pub sync", clients),
      );
  for (const store of ["memory", "postgres"])
    add(
      `${store} fetch (ghz) ÷ jetstream get (nats bench), ${maxClients} clients`,
      rate(section.fetch, store, maxClients),
      rate(section.nats, "jetstream get sync", maxClients),
    );
  add(
    `server CPU per publish: memory (ghz) ÷ jetstream (nats bench), ${maxClients} clients; lower is better`,
    serverCpu(section.publish, "memory", maxClients),
    serverCpu(section.nats, "jetstream pub sync", maxClients),
  );
  const memory = latencyOf(section.latency, "memory");
  const nats = latencyOf(section.latency, "nats");
  if (memory && nats)
    for (const key of ["p50Ms", "p99Ms"] as const)
      add(
        `memory ÷ nats: publish→deliver ${key.replace("Ms", "")} at ${memory.offeredRate}/s (Go client; lower is better)`,
        memory[key],
        nats[key],
      );
}

function compact(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  if (value >= 100_000) return `${(value / 1000).toFixed(0)}k`;
  if (value >= 10_000) return `${(value / 1000).toFixed(1)}k`;
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

const row = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;

export function independentTable(result: BenchResult): string {
  const section = result.independent;
  if (section === undefined) return "independent load generators: not run";
  if ("status" in section) return `independent load generators: ${section.status}`;
  const columns = [...grpcTargets, "nats", "jetstream"] as const;
  const natsTarget = (column: (typeof columns)[number], kind: "publish" | "fetch") =>
    column === "nats"
      ? kind === "publish"
        ? "nats core pub"
        : undefined
      : column === "jetstream"
        ? kind === "publish"
          ? "jetstream pub sync"
          : "jetstream get sync"
        : column;
  const cell = (
    kind: "publish" | "fetch",
    column: (typeof columns)[number],
    clients: number,
    pick: (p: IndependentPoint) => number | undefined,
  ) => {
    const name = natsTarget(column, kind);
    if (name === undefined) return "n/a";
    const attempts = column === "nats" || column === "jetstream" ? section.nats : section[kind];
    const found = attempts.find((a) => a.target === name && a.clients === clients);
    if (found === undefined) return "–";
    return "status" in found ? found.status : compact(pick(found));
  };
  const rows: string[][] = [];
  const clientCounts = [...new Set(section.publish.map((a) => a.clients))];
  const bodyBytes = section.publish.find((a) => "bodyBytes" in a)?.bodyBytes;
  for (const kind of ["publish", "fetch"] as const)
    for (const clients of clientCounts) {
      const label = `${kind}, ${clients} clients × ${bodyBytes ?? "?"} B`;
      rows.push([
        `${label}: ops/s`,
        ...columns.map((c) => cell(kind, c, clients, (p) => p.opsPerSec)),
      ]);
      rows.push([
        `${label}: p50 / p99 ms`,
        ...columns.map((c) =>
          c === "nats" || c === "jetstream"
            ? "n/a"
            : cell(kind, c, clients, (p) => p.p50Ms) +
              " / " +
              cell(kind, c, clients, (p) => p.p99Ms),
        ),
      ]);
      rows.push([
        `${label}: load generator CPU µs/op`,
        ...columns.map((c) => cell(kind, c, clients, (p) => p.clientCpuUsPerOp)),
      ]);
      rows.push([
        `${label}: server CPU µs/op`,
        ...columns.map((c) => cell(kind, c, clients, (p) => p.serverCpuUsPerOp)),
      ]);
    }
  const latencyCell = (
    column: (typeof columns)[number],
    pick: (l: Exclude<Latency, { status: string }>) => string,
  ) => {
    const found = section.latency.find((l) => l.target === column);
    if (found === undefined) return "n/a";
    return "status" in found ? found.status : pick(found);
  };
  const rate = section.latency.find((l) => !("status" in l));
  const at = rate && !("status" in rate) ? `${rate.offeredRate}/s` : "";
  rows.push([
    `publish→deliver p50 / p99 / p999 ms @ ${at}`,
    ...columns.map((c) =>
      latencyCell(
        c,
        (l) =>
          `${compact(l.p50Ms)} / ${compact(l.p99Ms)} / ${compact(l.p999Ms)}${l.missing > 0 ? "*" : ""}`,
      ),
    ),
  ]);
  rows.push([
    "publish→deliver: Go client CPU / server CPU µs per message",
    ...columns.map((c) =>
      latencyCell(
        c,
        (l) => `${compact(l.clientCpuUsPerMessage)} / ${compact(l.serverCpuUsPerMessage)}`,
      ),
    ),
  ]);
  // The broker's GC pauses and event-loop delay during the run (clients/runtime-window.ts).
  const runtimeRows: readonly [string, (runtime: RuntimeWindow) => readonly number[]][] = [
    [
      "GC pauses count / total / max / p99 ms",
      ({ gcPauses: g }) => [g.count, g.totalMs, g.maxMs, g.p99Ms],
    ],
    ["event-loop delay p50 / p99 / max ms", ({ eventLoopDelayMs: d }) => [d.p50, d.p99, d.max]],
  ];
  for (const [label, figures] of runtimeRows)
    rows.push([
      `publish→deliver: server ${label}`,
      ...columns.map((c) =>
        latencyCell(c, ({ runtime }) =>
          runtime === undefined
            ? "n/a"
            : figures(runtime)
                .map((v) => (Number.isInteger(v) ? String(v) : compact(v)))
                .join(" / "),
        ),
      ),
    ]);
  const header = [
    `independent clients (ghz ${section.generators.ghz}, ${section.generators.natsBench}, Go latency client ${section.generators.latencyClient})`,
    "ceiling",
    "herald memory",
    "herald postgres",
    "nats core (no ack)",
    "jetstream (peer)",
  ];
  return [row(header), row(header.map(() => "---")), ...rows.map(row)].join("\n");
}
