/**
 * The result file, bench/results/<date>-<sha>.json. Every section is present;
 * one that could not be measured says why in `status` instead of holding figures.
 */
import { z } from "zod";
import { GatewaySchema } from "./gateway.ts";

/** "not available: …" or "failed: …", never fake figures. */
const Unavailable = z.object({ status: z.string() });

const Loop = z.object({
  ops: z.number().int(),
  errors: z.number().int(),
  durationMs: z.number(),
  opsPerSec: z.number(),
  firstError: z.string().optional(),
});

export const PublishPointSchema = Loop.extend({
  clients: z.number().int(),
  bodyBytes: z.number().int(),
  /** Messages per group-commit store write during the window (Herald's /metrics). */
  avgBatchSize: z.number().optional(),
  /** Server processes' CPU per acknowledged publish (µs), the store's own server excluded. */
  serverCpuUsPerOp: z.number().optional(),
});

export const LatencySchema = z.object({
  offeredRate: z.number(),
  durationMs: z.number(),
  bodyBytes: z.number().int(),
  sent: z.number().int(),
  delivered: z.number().int(),
  publishErrors: z.number().int(),
  missing: z.number().int(),
  p50Ms: z.number(),
  p99Ms: z.number(),
  p999Ms: z.number(),
  maxMs: z.number(),
});

export const FanOutSchema = z.object({
  subscribers: z.number().int(),
  messages: z.number().int(),
  bodyBytes: z.number().int(),
  deliveries: z.number().int(),
  durationMs: z.number(),
  deliveriesPerSec: z.number(),
  complete: z.boolean(),
});

const Measured = <T extends z.ZodType>(schema: T) => z.union([schema, Unavailable]);

export const TargetResultSchema = z.object({
  name: z.string(),
  role: z.enum(["ceiling", "herald", "peer"]),
  version: z.string(),
  status: z.string(),
  /** Durability of an acknowledged publish, in words. */
  durability: z.string(),
  publish: z.array(PublishPointSchema),
  latency: Measured(LatencySchema),
  fanOut: Measured(FanOutSchema),
  fetch: Measured(Loop.extend({ clients: z.number().int(), bodyBytes: z.number().int() })),
  /** Average messages per store write over the whole publish matrix (Herald). */
  avgBatchSize: Measured(z.object({ overall: z.number(), atMaxClients: z.number() })),
});
export type TargetResult = z.infer<typeof TargetResultSchema>;

export const RawInsertSchema = z.object({
  method: z.enum(["unnest", "copy"]),
  batchRows: z.number().int(),
  bodyBytes: z.number().int(),
  rowsPerSec: z.number(),
  batches: z.number().int(),
  durationMs: z.number(),
  errors: z.number().int(),
});

export const OperatorSchema = z.object({
  readyLatencyMs: z.object({
    p50: z.number(),
    p99: z.number(),
    max: z.number(),
    samples: z.number().int(),
  }),
  childrenPerBroker: z.number().int(),
  fleet: z.number().int(),
  fleetChildrenMs: z.number(),
  fleetConvergedMs: z.number(),
  steadyWindowS: z.number(),
  steadyWritesPerMin: z.number(),
  steadyWrites: z.array(z.string()),
  leaseRenewalsPerMin: z.number(),
  totalBrokers: z.number().int(),
  operatorRssMiB: z.number(),
  /** Absent in runs before the operator's heap was reported. */
  operatorHeapUsedMiB: z.number().optional(),
  operatorHeapTotalMiB: z.number().optional(),
  operatorHeapLimitMiB: z.number().optional(),
  operatorBuild: z.enum(["dist", "source"]).optional(),
  workers: z.number().int(),
  readyMeans: z.string(),
});
export type OperatorSection = z.infer<typeof OperatorSchema>;

export const ClusterSchema = z.object({
  store: z.literal("postgres"),
  clients: z.number().int(),
  bodyBytes: z.number().int(),
  /** One subject per client; one broker. */
  oneReplica: Loop,
  /** One subject per client; client i through member i mod 3 (most publishes forwarded). */
  threeReplicas: Loop,
  /** One subject, every client connected to its owner. */
  viaOwner: Loop,
  /** One subject, every client connected to a non-owner, which forwards to the owner. */
  viaNonOwner: Loop,
});

export const GroupsSchema = z.object({
  /** Backlog each throughput point consumes, and each member's unacknowledged window. */
  messages: z.number().int(),
  inFlight: z.number().int(),
  targets: z.array(
    z.object({
      name: z.string(),
      /** Per member count; a point that could not be measured says why. */
      consume: z.array(
        z.union([
          z.object({
            members: z.number().int(),
            messages: z.number().int(),
            consumed: z.number().int(),
            redelivered: z.number().int(),
            durationMs: z.number(),
            msgsPerSec: z.number(),
            complete: z.boolean(),
          }),
          z.object({ members: z.number().int(), status: z.string() }),
        ]),
      ),
      /** From the disconnect of the member holding a message to another member receiving it. */
      redelivery: z.union([
        z.object({
          samples: z.number().int(),
          p50Ms: z.number(),
          maxMs: z.number(),
          valuesMs: z.array(z.number()),
        }),
        Unavailable,
      ]),
    }),
  ),
});

export type GroupsSection = z.infer<typeof GroupsSchema>;

export const RatioSchema = z.object({
  label: z.string(),
  herald: z.number(),
  other: z.number(),
  ratio: z.number(),
});
export type Ratio = z.infer<typeof RatioSchema>;

/** One point of ghz (unary calls) or `nats bench`, with the load generator's own CPU. */
export const IndependentPointSchema = z.object({
  /** ceiling | memory | postgres (ghz); nats core pub | jetstream pub sync | jetstream get sync. */
  target: z.string(),
  clients: z.number().int(),
  bodyBytes: z.number().int(),
  ops: z.number().int(),
  durationMs: z.number(),
  opsPerSec: z.number(),
  /** ghz: failed calls, apart from those in flight when its window closed (`cutAtEnd`). */
  errors: z.number().int(),
  cutAtEnd: z.number().int(),
  firstError: z.string().optional(),
  /** ghz's latency percentiles of the calls (nats bench: not recorded). */
  p50Ms: z.number().optional(),
  p99Ms: z.number().optional(),
  /** The load generator's own user + system CPU (GNU time) per operation, µs. */
  clientCpuUsPerOp: z.number(),
  /** The server processes' CPU per operation over the run, µs (the store's own server excluded). */
  serverCpuUsPerOp: z.number().optional(),
});
export type IndependentPoint = z.infer<typeof IndependentPointSchema>;

const IndependentAttempt = z.union([
  IndependentPointSchema,
  z.object({ target: z.string(), clients: z.number().int(), status: z.string() }),
]);

/** A Herald broker's GC pauses and event-loop delay during a measurement (clients/runtime-window.ts). */
export const RuntimeWindowSchema = z.object({
  gcPauses: z.object({
    count: z.number(),
    totalMs: z.number(),
    maxMs: z.number(),
    /** The upper bound of the histogram bucket holding the 99th percentile, at most maxMs. */
    p99Ms: z.number(),
  }),
  /** Beyond the 10 ms sampling interval of prom-client's event-loop monitor. */
  eventLoopDelayMs: z.object({
    p50: z.number(),
    p99: z.number(),
    max: z.number(),
    mean: z.number(),
  }),
});
export type RuntimeWindow = z.infer<typeof RuntimeWindowSchema>;

export const IndependentLatencySchema = z.object({
  /** memory (Herald, unary Publish + Subscribe) | nats (core NATS). */
  target: z.string(),
  /** How the Go client spoke to it: herald (gRPC) or nats. */
  mode: z.enum(["herald", "nats"]),
  offeredRate: z.number(),
  achievedRate: z.number(),
  durationMs: z.number(),
  bodyBytes: z.number().int(),
  sent: z.number().int(),
  delivered: z.number().int(),
  publishErrors: z.number().int(),
  firstError: z.string().optional(),
  missing: z.number().int(),
  p50Ms: z.number(),
  p90Ms: z.number(),
  p99Ms: z.number(),
  p999Ms: z.number(),
  maxMs: z.number(),
  /** The Go client's own user + system CPU (getrusage), in all and per message. */
  clientCpuMs: z.number(),
  clientCpuUsPerMessage: z.number(),
  serverCpuUsPerMessage: z.number().optional(),
  /** Herald: its GC pauses and event-loop delay during the run. */
  runtime: RuntimeWindowSchema.optional(),
});

/** The figures of the load generators that are not the bench's own Node code (bench/clients). */
export const IndependentSchema = z.object({
  generators: z.object({
    ghz: z.string(),
    natsBench: z.string(),
    /** The hash of the Go latency client's source and broker.proto it was built from. */
    latencyClient: z.string(),
  }),
  /** Unary Publish by ghz; ceiling, Herald memory and PostgreSQL in turns at each point. */
  publish: z.array(IndependentAttempt),
  /** Unary Fetch by ghz of up to 512 stored ids spread over the stored messages, in turn. */
  fetch: z.array(IndependentAttempt),
  /** `nats bench`: core publishes (not acknowledged), JetStream sync publishes and gets. */
  nats: z.array(IndependentAttempt),
  /**
   * Unary Publish by ghz to 64 subjects on one memory-store pod of 1 and of 2 workers, in turns over
   * rounds (bench/clients/workers.ts). Absent in results written before workers existed.
   */
  workers: z.array(IndependentAttempt).optional(),
  /** Publish→deliver by the Go open-loop client. */
  latency: z.array(
    z.union([IndependentLatencySchema, z.object({ target: z.string(), status: z.string() })]),
  ),
});
export type IndependentSection = z.infer<typeof IndependentSchema>;

/** Messages held by the memory store, and what the full GC pays for them (bench/store). */
export const MemoryHeapPointSchema = z.object({
  messages: z.number(),
  bodyBytes: z.number(),
  subjects: z.number(),
  /** Median of 5 full collections with nothing else on the heap. */
  fullGcMs: z.number(),
  heapUsedMiB: z.number(),
  rssMiB: z.number(),
});
export type MemoryHeapPoint = z.infer<typeof MemoryHeapPointSchema>;

export const BenchResultSchema = z.object({
  schemaVersion: z.literal(1),
  quick: z.boolean(),
  startedAt: z.string(),
  durationS: z.number(),
  commit: z.string(),
  /** Uncommitted changes in the tree when the run started. */
  dirty: z.boolean(),
  heraldBuild: z.string(),
  machine: z.object({
    cores: z.number().int(),
    cpuModel: z.string(),
    memGiB: z.number(),
    os: z.string(),
    node: z.string(),
    /** 1/5/15-minute load averages when the run started, before each section, and at the end. */
    loadAverage: z.array(z.object({ at: z.string(), load: z.array(z.number()) })),
  }),
  notes: z.array(z.string()),
  parameters: z.record(z.string(), z.union([z.number(), z.string(), z.array(z.number())])),
  ceiling: z.object({
    unary: z.array(PublishPointSchema),
    /** One server stream, as fast as it drains. */
    oneStream: Measured(FanOutSchema),
    /** As many streams as fan-out subscribers, each sent the fan-out message count. */
    fanOutStreams: Measured(FanOutSchema),
  }),
  targets: z.array(TargetResultSchema),
  storageCeiling: z.object({
    postgres: z.union([z.array(RawInsertSchema), Unavailable]),
  }),
  operator: z.union([OperatorSchema, Unavailable]),
  cluster: z.union([ClusterSchema, Unavailable]),
  groups: z.union([GroupsSchema, Unavailable]),
  /** Absent in result files written before the independent clients existed. */
  independent: z.union([IndependentSchema, Unavailable]).optional(),
  /** Absent in result files written before the web gateway's figures existed. */
  gateway: z.union([GatewaySchema, Unavailable]).optional(),
  /** Absent in result files written before the memory store's heap was measured. */
  memoryStoreHeap: z.union([z.array(MemoryHeapPointSchema), Unavailable]).optional(),
  ratios: z.array(RatioSchema),
});
export type BenchResult = z.infer<typeof BenchResultSchema>;
