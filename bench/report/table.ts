/**
 * The printed table (Markdown, so the README can carry it as is) and the
 * ratios, both computed from the result file alone.
 */
import { independentRatios, independentTable } from "./independent-table.ts";
import { workerRatios, workersTable } from "./workers-table.ts";
import { gatewayTable } from "./gateway.ts";
import type { BenchResult, Ratio, TargetResult } from "./schema.ts";

const heraldStores = ["memory", "postgres", "cassandra"] as const;
/** The same brokers driven through PublishStream (each client keeps several publishes in flight). */
const heraldStreams = ["memory stream", "postgres stream"] as const;
/**
 * The memory broker with TLS and token authentication (unary and PublishStream), and with TLS
 * only, each against the column it adds to.
 */
const heraldSecure = [
  ["memory tls+auth", "memory"],
  ["memory tls+auth stream", "memory stream"],
  ["memory tls", "memory"],
] as const;
/** The same brokers with an idempotency key on every unary publish, against the column without. */
const heraldKeyed = [
  ["memory keyed", "memory"],
  ["postgres keyed", "postgres"],
] as const;
const peers = ["nats", "jetstream", "rabbitmq"] as const;
/**
 * Peers driven with PublishStream's window: JetStream async publish and RabbitMQ pipelined
 * confirms, each against the Herald streams (the like-for-like comparison of pipelined publishing).
 */
const peersPipelined = ["jetstream pipelined", "rabbitmq pipelined"] as const;

function compact(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (value >= 100_000) return `${(value / 1000).toFixed(0)}k`;
  if (value >= 10_000) return `${(value / 1000).toFixed(1)}k`;
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

const ratioText = (ratio: number) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "–");

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [row(header), row(header.map(() => "---")), ...rows.map(row)].join("\n");
}

const target = (result: BenchResult, name: string): TargetResult | undefined =>
  result.targets.find((candidate) => candidate.name === name);

function publishRate(
  points: readonly { clients: number; bodyBytes: number; opsPerSec: number }[],
  clients: number,
  bodyBytes: number,
): number {
  return (
    points.find((point) => point.clients === clients && point.bodyBytes === bodyBytes)?.opsPerSec ??
    NaN
  );
}

const measured = <T extends object>(value: T | { status: string }): T | undefined =>
  "status" in value && Object.keys(value).length === 1 ? undefined : (value as T);

/**
 * Herald ÷ ceiling and ÷ NATS from the independent load generators; Herald ÷ Herald (stream,
 * keys, TLS) and ÷ the storage ceiling; and, marked "(Node clients)", the ratios no independent
 * generator covers (fan-out, RabbitMQ, consumer groups).
 */
export function computeRatios(result: BenchResult): Ratio[] {
  const ratios: Ratio[] = [];
  const add = (label: string, herald: number, other: number) => {
    if (Number.isFinite(herald) && Number.isFinite(other) && other > 0)
      ratios.push({ label, herald, other, ratio: herald / other });
  };
  if (result.independent !== undefined && !("status" in result.independent)) {
    independentRatios(result.independent, add);
    workerRatios(result.independent.workers ?? [], add);
  }
  const maxClients = Math.max(...result.ceiling.unary.map((point) => point.clients));
  const bodies = [...new Set(result.ceiling.unary.map((point) => point.bodyBytes))];
  const memory = target(result, "memory");
  for (const name of heraldStreams) {
    const unary = name.replace(" stream", "");
    const stream = target(result, name)?.publish ?? [];
    const unaryPoints = target(result, unary)?.publish ?? [];
    for (const bodyBytes of bodies)
      add(
        `${name} ÷ ${unary} unary: publish (${maxClients} clients, ${bodyBytes} B)`,
        publishRate(stream, maxClients, bodyBytes),
        publishRate(unaryPoints, maxClients, bodyBytes),
      );
  }
  for (const [withKeys, without] of heraldKeyed) {
    for (const bodyBytes of bodies)
      add(
        `${withKeys} ÷ ${without} (no key): publish (${maxClients} clients, ${bodyBytes} B)`,
        publishRate(target(result, withKeys)?.publish ?? [], maxClients, bodyBytes),
        publishRate(target(result, without)?.publish ?? [], maxClients, bodyBytes),
      );
  }
  for (const [secure, plain] of heraldSecure) {
    for (const bodyBytes of bodies)
      add(
        `${secure} ÷ ${plain} (plaintext): publish (${maxClients} clients, ${bodyBytes} B)`,
        publishRate(target(result, secure)?.publish ?? [], maxClients, bodyBytes),
        publishRate(target(result, plain)?.publish ?? [], maxClients, bodyBytes),
      );
  }
  const cpuAt = (name: string, bodyBytes: number) =>
    target(result, name)?.publish.find((p) => p.clients === maxClients && p.bodyBytes === bodyBytes)
      ?.serverCpuUsPerOp ?? NaN;
  for (const bodyBytes of bodies)
    add(
      `server CPU per publish: memory tls+auth ÷ memory tls, what authorization adds (${maxClients} clients, ${bodyBytes} B; lower is better)`,
      cpuAt("memory tls+auth", bodyBytes),
      cpuAt("memory tls", bodyBytes),
    );
  const ceilingFanOut = measured(result.ceiling.fanOutStreams);
  const memoryFanOut = memory && measured(memory.fanOut);
  if (ceilingFanOut && memoryFanOut)
    add(
      "memory fan-out ÷ empty server streams (deliveries/s; Node clients)",
      memoryFanOut.deliveriesPerSec,
      ceilingFanOut.deliveriesPerSec,
    );
  const raw = Array.isArray(result.storageCeiling.postgres) ? result.storageCeiling.postgres : [];
  const postgres = target(result, "postgres");
  for (const insert of raw.filter((point) => point.batchRows >= 1000)) {
    add(
      `postgres publish ÷ raw ${insert.method} of ${insert.batchRows}-row batches (${maxClients} clients, ${insert.bodyBytes} B)`,
      publishRate(postgres?.publish ?? [], maxClients, insert.bodyBytes),
      insert.rowsPerSec,
    );
  }
  const smallest = Math.min(...bodies);
  // NATS and JetStream publish and latency ratios come from the independent generators above;
  // RabbitMQ has none, and fan-out is measured by the Node clients only.
  const rabbitmq = target(result, "rabbitmq");
  if (rabbitmq && rabbitmq.publish.length > 0) {
    for (const store of [...heraldStores, ...heraldStreams])
      add(
        `${store} ÷ rabbitmq: publish (${maxClients} clients, ${smallest} B; Node clients)`,
        publishRate(target(result, store)?.publish ?? [], maxClients, smallest),
        publishRate(rabbitmq.publish, maxClients, smallest),
      );
    const peerLatency = measured(rabbitmq.latency);
    for (const store of heraldStores) {
      const heraldLatency = measured(target(result, store)?.latency ?? { status: "" });
      if (peerLatency && heraldLatency)
        add(
          `${store} ÷ rabbitmq: p99 latency (lower is better; Node clients)`,
          heraldLatency.p99Ms,
          peerLatency.p99Ms,
        );
    }
  }
  for (const peerName of peersPipelined) {
    const peer = target(result, peerName)?.publish ?? [];
    for (const stream of heraldStreams)
      for (const bodyBytes of bodies)
        add(
          `${stream} ÷ ${peerName}: publish, the same window (${maxClients} clients, ${bodyBytes} B; Node clients)`,
          publishRate(target(result, stream)?.publish ?? [], maxClients, bodyBytes),
          publishRate(peer, maxClients, bodyBytes),
        );
  }
  for (const peerName of peers) {
    const peerFanOut = measured(target(result, peerName)?.fanOut ?? { status: "" });
    if (peerFanOut && memoryFanOut)
      add(
        `memory ÷ ${peerName}: fan-out deliveries/s (Node clients)`,
        memoryFanOut.deliveriesPerSec,
        peerFanOut.deliveriesPerSec,
      );
  }
  if (!("status" in result.groups)) {
    const { targets } = result.groups;
    for (const store of ["memory", "postgres"])
      for (const peerName of ["rabbitmq", "jetstream"])
        for (const { members } of targets.find((t) => t.name === store)?.consume ?? [])
          add(
            `${store} ÷ ${peerName}: consume and ack (${members} member${members === 1 ? "" : "s"}; Node clients)`,
            consumeRate(targets, store, members),
            consumeRate(targets, peerName, members),
          );
  }
  return ratios;
}

type GroupTargets = Exclude<BenchResult["groups"], { status: string }>["targets"];

function consumeRate(targets: GroupTargets, name: string, members: number): number {
  const point = targets
    .find((candidate) => candidate.name === name)
    ?.consume.find((candidate) => candidate.members === members);
  return point !== undefined && "msgsPerSec" in point && point.complete ? point.msgsPerSec : NaN;
}

function groupsTable(groups: BenchResult["groups"]): string {
  if ("status" in groups) return `consumer groups: ${groups.status}`;
  const memberCounts = [
    ...new Set(groups.targets.flatMap((t) => t.consume.map((point) => point.members))),
  ];
  const header = [
    `consumer groups (${groups.messages} messages, ${groups.inFlight} in flight per member)`,
    ...groups.targets.map((t) => t.name),
  ];
  const rows = memberCounts.map((members) => [
    `consume and ack msgs/s, ${members} member${members === 1 ? "" : "s"}`,
    ...groups.targets.map((t) => {
      const point = t.consume.find((candidate) => candidate.members === members);
      if (point === undefined) return "n/a";
      if ("status" in point) return point.status;
      return `${compact(point.msgsPerSec)}${point.complete ? "" : ` (${point.consumed} consumed)`}`;
    }),
  ]);
  rows.push([
    "redelivery after a disconnect, p50 / max ms",
    ...groups.targets.map((t) =>
      "status" in t.redelivery
        ? t.redelivery.status
        : `${compact(t.redelivery.p50Ms)} / ${compact(t.redelivery.maxMs)} (${t.redelivery.samples})`,
    ),
  ]);
  return table(header, rows);
}

function brokerTable(result: BenchResult): string {
  const columns: { label: string; result?: TargetResult; ceiling?: boolean }[] = [
    { label: "ceiling", ceiling: true },
    ...[
      ...heraldStores,
      ...heraldStreams,
      ...heraldKeyed.map(([withKeys]) => withKeys),
      ...heraldSecure.map(([secure]) => secure),
    ].map((name) => ({ label: `herald ${name}`, result: target(result, name) })),
    ...[...peers, ...peersPipelined].map((name) => ({
      label: `${name} (peer)`,
      result: target(result, name),
    })),
  ];
  const rows: string[][] = [];
  const clientsList = [...new Set(result.ceiling.unary.map((point) => point.clients))];
  const bodies = [...new Set(result.ceiling.unary.map((point) => point.bodyBytes))];
  for (const bodyBytes of bodies) {
    for (const clients of clientsList) {
      rows.push([
        `publish/s, ${clients} client${clients === 1 ? "" : "s"} × ${bodyBytes} B`,
        ...columns.map((column) => {
          const points = column.ceiling ? result.ceiling.unary : (column.result?.publish ?? []);
          return compact(publishRate(points, clients, bodyBytes));
        }),
      ]);
    }
  }
  const maxClients = Math.max(...clientsList);
  for (const bodyBytes of bodies) {
    rows.push([
      `server CPU µs per publish, ${maxClients} clients × ${bodyBytes} B`,
      ...columns.map((column) => {
        const points = column.ceiling ? result.ceiling.unary : (column.result?.publish ?? []);
        const point = points.find((p) => p.clients === maxClients && p.bodyBytes === bodyBytes);
        return point?.serverCpuUsPerOp === undefined ? "–" : compact(point.serverCpuUsPerOp);
      }),
    ]);
  }
  const cell = (column: (typeof columns)[number], pick: (t: TargetResult) => string) =>
    column.result ? pick(column.result) : column.ceiling ? "n/a" : "–";
  const latency = (t: TargetResult, key: "p50Ms" | "p99Ms" | "p999Ms") => {
    const value = measured(t.latency);
    return value ? compact(value[key]) + (value.missing > 0 ? "*" : "") : "n/a";
  };
  const rate = result.parameters.latencyRate;
  for (const key of ["p50Ms", "p99Ms", "p999Ms"] as const)
    rows.push([
      `publish→deliver ${key.replace("Ms", "")} ms @ ${String(rate)}/s`,
      ...columns.map((column) => cell(column, (t) => latency(t, key))),
    ]);
  const ceilingFanOut = measured(result.ceiling.fanOutStreams);
  rows.push([
    `fan-out to ${String(result.parameters.fanOutSubscribers)} subscribers, deliveries/s`,
    ...columns.map((column) => {
      if (column.ceiling) return ceilingFanOut ? compact(ceilingFanOut.deliveriesPerSec) : "n/a";
      if (!column.result) return "–";
      const fanOut = measured(column.result.fanOut);
      return fanOut ? compact(fanOut.deliveriesPerSec) + (fanOut.complete ? "" : "*") : "n/a";
    }),
  ]);
  rows.push([
    `fetch/s, ${String(result.parameters.fetchClients)} clients`,
    ...columns.map((column) =>
      cell(column, (t) => {
        const fetch = measured(t.fetch);
        return fetch ? compact(fetch.opsPerSec) : "n/a";
      }),
    ),
  ]);
  rows.push([
    "avg batch size (all points / at max clients)",
    ...columns.map((column) =>
      cell(column, (t) => {
        const batch = measured(t.avgBatchSize);
        return batch ? `${compact(batch.overall)} / ${compact(batch.atMaxClients)}` : "n/a";
      }),
    ),
  ]);
  return table(
    ["Node load generator (bench/load)", ...columns.map((column) => column.label)],
    rows,
  );
}

function clusterTable(cluster: BenchResult["cluster"]): string {
  if ("status" in cluster)
    return table(["cluster", "value"], [["1 vs 3 replicas, via a non-owner", cluster.status]]);
  const { oneReplica, threeReplicas, viaOwner, viaNonOwner } = cluster;
  return table(
    [
      `cluster (${cluster.store}, ${cluster.clients} clients × ${cluster.bodyBytes} B)`,
      "publish/s",
      "ratio",
    ],
    [
      ["1 broker, one subject per client", compact(oneReplica.opsPerSec), ""],
      [
        "3 brokers, one subject per client, client i via member i mod 3",
        compact(threeReplicas.opsPerSec),
        `${ratioText(threeReplicas.opsPerSec / oneReplica.opsPerSec)} of 1 broker`,
      ],
      ["3 brokers, one subject, every client via its owner", compact(viaOwner.opsPerSec), ""],
      [
        "3 brokers, one subject, every client via a non-owner",
        compact(viaNonOwner.opsPerSec),
        `${ratioText(viaNonOwner.opsPerSec / viaOwner.opsPerSec)} of via owner`,
      ],
    ],
  );
}

function memoryHeapTable(points: NonNullable<BenchResult["memoryStoreHeap"]>): string {
  if ("status" in points) return `memory store heap: ${points.status}`;
  return table(
    ["memory store holding (64 subjects)", "full GC ms", "heap used MiB", "RSS MiB"],
    points.map((point) => [
      `${point.messages.toLocaleString("en-US")} messages × ${point.bodyBytes} B`,
      compact(point.fullGcMs),
      compact(point.heapUsedMiB),
      compact(point.rssMiB),
    ]),
  );
}

export function renderReport(result: BenchResult): string {
  const sections: string[] = [];
  const load = result.machine.loadAverage;
  sections.push(
    `Herald bench ${result.quick ? "(QUICK) " : ""}${result.startedAt.slice(0, 10)}, commit ${result.commit}${result.dirty ? " (+uncommitted changes)" : ""}, ` +
      `${result.machine.cores} cores (${result.machine.cpuModel}), ${result.machine.memGiB.toFixed(0)} GiB RAM, Node ${result.machine.node}; ` +
      `load average ${load[0]?.load[0]?.toFixed(2) ?? "?"} at start, ${load.at(-1)?.load[0]?.toFixed(2) ?? "?"} at end; ${result.durationS.toFixed(0)} s.`,
  );
  sections.push(independentTable(result));
  if (result.independent !== undefined && !("status" in result.independent))
    sections.push(workersTable(result.independent.workers));
  sections.push(brokerTable(result));
  const unavailable = result.targets.filter((t) => t.status !== "ok");
  if (unavailable.length > 0)
    sections.push(unavailable.map((t) => `- ${t.name}: ${t.status}`).join("\n"));
  sections.push(
    table(
      ["ratio", "Herald", "other", "Herald ÷ other"],
      result.ratios.map((ratio) => [
        ratio.label,
        compact(ratio.herald),
        compact(ratio.other),
        ratioText(ratio.ratio),
      ]),
    ),
  );
  const raw = result.storageCeiling.postgres;
  sections.push(
    Array.isArray(raw)
      ? table(
          ["storage ceiling (PostgreSQL, 1 connection)", "rows/s"],
          raw.map((point) => [
            `raw ${point.method}, ${point.batchRows}-row batches × ${point.bodyBytes} B`,
            compact(point.rowsPerSec),
          ]),
        )
      : `storage ceiling: ${raw.status}`,
  );
  const op = result.operator;
  sections.push(
    "status" in op
      ? `operator: ${op.status}`
      : table(
          ["operator (real API server, no kubelet)", "value"],
          [
            [
              `CR→ready p50 / p99 ms (${op.readyLatencyMs.samples} CRs, one at a time)`,
              `${compact(op.readyLatencyMs.p50)} / ${compact(op.readyLatencyMs.p99)}`,
            ],
            [
              `${op.fleet} CRs at once: all children created (s)`,
              compact(op.fleetChildrenMs / 1000),
            ],
            [
              `${op.fleet} CRs at once: converged, status written (s)`,
              compact(op.fleetConvergedMs / 1000),
            ],
            [
              `API writes/min in steady state (${op.steadyWindowS} s window; lease renewals apart)`,
              `${compact(op.steadyWritesPerMin)} (+${compact(op.leaseRenewalsPerMin)} lease)`,
            ],
            [`operator RSS at ${op.totalBrokers} CRs (MiB)`, compact(op.operatorRssMiB)],
            ...(op.operatorHeapUsedMiB === undefined || op.operatorHeapTotalMiB === undefined
              ? []
              : [
                  [
                    `operator heap used / reserved (MiB; limit ${op.operatorHeapLimitMiB ?? "?"} MiB, as in its pod)`,
                    `${compact(op.operatorHeapUsedMiB)} / ${compact(op.operatorHeapTotalMiB)}`,
                  ],
                ]),
          ],
        ),
  );
  sections.push(clusterTable(result.cluster));
  sections.push(groupsTable(result.groups));
  if (result.gateway !== undefined) sections.push(gatewayTable(result.gateway));
  if (result.memoryStoreHeap !== undefined) sections.push(memoryHeapTable(result.memoryStoreHeap));
  sections.push(result.notes.map((note) => `- ${note}`).join("\n"));
  return `${sections.join("\n\n")}\n`;
}
