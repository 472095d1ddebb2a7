/**
 * V8 flags the broker image's ENTRYPOINT passes to node (Dockerfile.broker; node-flags.test.ts
 * keeps the two equal), and with which the bench and the process kubelet start brokers. V8 takes
 * them on the command line only: NODE_OPTIONS refuses them.
 *
 * --no-allocation-site-pretenuring: V8 learns to allocate objects of an allocation site straight
 * into the old generation when they keep surviving scavenges. Per-call objects of a server under
 * steady load qualify, and once dead in the old generation they still point at the next calls'
 * young objects until a full GC, so every scavenge copied and promoted about 4 KiB per call. Off,
 * scavenges at 1,000 calls/s pause under 3 ms instead of 8 to 10 (broker/README.md#performance).
 */
export const brokerNodeFlags: readonly string[] = ["--no-allocation-site-pretenuring"];
