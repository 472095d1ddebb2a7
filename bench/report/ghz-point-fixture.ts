/** A ghz publish point for the report's tests: `opsPerSec` over 2 s at 128 B. */
export const ghzPoint = (
  target: string,
  clients: number,
  opsPerSec: number,
  serverCpuUsPerOp: number,
) => ({
  target,
  clients,
  bodyBytes: 128,
  ops: opsPerSec * 2,
  durationMs: 2000,
  opsPerSec,
  errors: 0,
  cutAtEnd: 0,
  clientCpuUsPerOp: 200,
  serverCpuUsPerOp,
});
