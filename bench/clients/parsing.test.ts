import { expect, test } from "vitest";
import { summarizeGhz } from "./ghz.ts";
import { parseNatsBenchCsv } from "./nats-bench.ts";

test("ghz: OK calls count, calls cut off when the window closed are apart from errors", () => {
  const report = JSON.stringify({
    count: 110,
    total: 2e9,
    statusCodeDistribution: { OK: 100, Unavailable: 10 },
    errorDistribution: {
      "rpc error: code = Unavailable desc = error reading from server: read tcp: use of closed network connection": 4,
      "rpc error: code = Unavailable desc = the client connection is closing": 2,
      "rpc error: code = Unavailable desc = connection refused": 4,
    },
    latencyDistribution: [
      { percentage: 50, latency: 2_500_000 },
      { percentage: 99, latency: 9_000_000 },
    ],
    details: [],
  });
  expect(summarizeGhz(report, 50)).toEqual({
    ops: 100,
    durationMs: 2000,
    opsPerSec: 50,
    errors: 4,
    cutAtEnd: 6,
    firstError: "rpc error: code = Unavailable desc = connection refused",
    p50Ms: 2.5,
    p99Ms: 9,
    clientCpuMs: 50,
    clientCpuUsPerOp: 500,
  });
});

test("ghz: a run without an OK call fails with its error", () => {
  const report = JSON.stringify({
    count: 3,
    total: 1e9,
    statusCodeDistribution: { Unimplemented: 3 },
    errorDistribution: { "rpc error: code = Unimplemented": 3 },
    latencyDistribution: null,
  });
  expect(() => summarizeGhz(report, 10)).toThrow(/no call answered OK.*Unimplemented/);
});

test("nats bench: a client's operations are its MsgBytes ÷ the body size", () => {
  // MsgCount counts requests and replies both; MsgBytes = operations × body size.
  const csv = [
    "#RunID,ClientID,MsgCount,MsgBytes,MsgsPerSec,BytesPerSec,DurationSecs,P50LatencyMicroSecs",
    "r1,P0,626,40064,1593,203966.87,0.196424,540.71",
    "r1,P1,624,39936,1560,199761.33,0.199919,541.00",
  ].join("\n");
  expect(parseNatsBenchCsv(csv)).toEqual([
    { MsgBytes: 40064, DurationSecs: 0.196424 },
    { MsgBytes: 39936, DurationSecs: 0.199919 },
  ]);
});
