/**
 * The web gateway's figures in the result file and the printed table (bench/load/gateway.ts): SSE
 * fan-out deliveries/s, and POST publish/s against gRPC unary publish/s at the same concurrency on
 * the same broker.
 */
import { z } from "zod";

const Loop = z.object({
  ops: z.number().int(),
  errors: z.number().int(),
  durationMs: z.number(),
  opsPerSec: z.number(),
  firstError: z.string().optional(),
});

export const GatewaySchema = z.object({
  store: z.string(),
  bodyBytes: z.number().int(),
  sseFanOut: z.object({
    clients: z.number().int(),
    messages: z.number().int(),
    deliveries: z.number().int(),
    /** From the first publish to the last delivery. */
    durationMs: z.number(),
    deliveriesPerSec: z.number(),
    /** Every client received every message before the timeout, and none was cut off. */
    complete: z.boolean(),
  }),
  publish: z.array(
    z.object({ clients: z.number().int(), gateway: Loop, grpc: Loop, ratio: z.number() }),
  ),
});
export type GatewaySection = z.infer<typeof GatewaySchema>;

const rate = (value: number) =>
  value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : value.toFixed(0);

export function gatewayTable(gateway: GatewaySection | { status: string }): string {
  if ("status" in gateway) return `web gateway: ${gateway.status}`;
  const { sseFanOut: fanOut } = gateway;
  const rows = [
    [
      `SSE fan-out to ${fanOut.clients} clients (HTTP/1.1), ${fanOut.messages} messages, deliveries/s`,
      rate(fanOut.deliveriesPerSec) + (fanOut.complete ? "" : "*"),
      "",
    ],
    ...gateway.publish.map(({ clients, gateway: http, grpc, ratio }) => [
      `publish/s, ${clients} clients: gateway POST / gRPC unary`,
      `${rate(http.opsPerSec)} / ${rate(grpc.opsPerSec)}`,
      `${ratio.toFixed(2)}×`,
    ]),
  ];
  const header = [
    `web gateway (${gateway.store}, ${gateway.bodyBytes} B bodies)`,
    "value",
    "gateway ÷ gRPC",
  ];
  return [header, header.map(() => "---"), ...rows]
    .map((cells) => `| ${cells.join(" | ")} |`)
    .join("\n");
}
