/**
 * How a scenario reaches a secure broker the way a user's client does: it creates a
 * MessageBrokerUser with every permission, waits for the operator's `<user>-credentials` Secret,
 * and connects with its token and CA, checking the certificate for the client Service's name
 * (scenarios dial pod IPs, which no certificate names).
 */
import { z } from "zod";
import { status, type ServiceError } from "@grpc/grpc-js";
import { HeraldClient, type HeraldClientOptions } from "../../broker/client/herald-client.ts";
import { until } from "../../testing/until.ts";
import type { Provider } from "./provider.ts";

const everything = [">"];

const secretSchema = z.object({
  data: z.object({ token: z.string(), "ca.crt": z.string().optional() }),
});

const anySecretSchema = z.object({ data: z.record(z.string(), z.string()).optional() });

const brokerSecuritySchema = z.object({
  spec: z.object({
    tls: z.object({ enabled: z.boolean() }).optional(),
    auth: z.object({ enabled: z.boolean() }).optional(),
  }),
});

const decode = (base64: string) => Buffer.from(base64, "base64");

/** The name of the scenario's own user of `broker`. */
export const scenarioUser = (broker: string) => `${broker}-scenario`;

export function allPermissionsUser(provider: Provider, broker: string): string {
  return JSON.stringify({
    apiVersion: "herald.dev/v1alpha1",
    kind: "MessageBrokerUser",
    metadata: { name: scenarioUser(broker), namespace: provider.namespace },
    spec: {
      broker,
      permissions: {
        publish: everything,
        subscribe: everything,
        fetch: everything,
        consume: everything,
      },
    },
  });
}

/** Client options for `broker`: its CA and a token with every permission, or none when it is plaintext. */
export async function clientOptionsFor(
  provider: Provider,
  broker: string,
  timeoutMs = 60_000,
): Promise<HeraldClientOptions> {
  const { spec } = brokerSecuritySchema.parse(
    JSON.parse(await provider.kubectl(["get", "messagebroker", broker, "-o", "json"])),
  );
  const tls = spec.tls?.enabled ?? true;
  const auth = spec.auth?.enabled ?? true;
  const serverName = `${broker}.${provider.namespace}.svc`;
  if (!auth) {
    if (!tls) return {};
    const ca = await secretKey(provider, `${broker}-tls`, "ca.crt", timeoutMs);
    return { tls: { ca, serverName } };
  }
  await provider.kubectl(["apply", "-f", "-"], allPermissionsUser(provider, broker));
  const credentials = await until(
    `the credentials of ${scenarioUser(broker)}`,
    async () => {
      const raw = await provider
        .kubectl(["get", "secret", `${scenarioUser(broker)}-credentials`, "-o", "json"])
        .catch(() => undefined);
      const parsed = raw === undefined ? undefined : secretSchema.safeParse(JSON.parse(raw));
      return parsed?.success ? parsed.data.data : undefined;
    },
    { timeoutMs, intervalMs: 250 },
  );
  const ca = credentials["ca.crt"];
  return {
    token: decode(credentials.token).toString("utf8"),
    ...(tls && ca !== undefined ? { tls: { ca: decode(ca), serverName } } : {}),
  };
}

/**
 * Resolves once the broker at `address` accepts the credentials: a new user's token reaches the
 * brokers when they reload their auth file, a moment after its Secret appears.
 */
export async function untilAccepted(
  address: string,
  options: HeraldClientOptions,
  timeoutMs = 30_000,
): Promise<void> {
  const client = new HeraldClient(address, { ...options, callTimeoutMs: 5000 });
  try {
    await until(
      `${address} to accept the scenario's credentials`,
      () =>
        client.listGroups().then(
          () => true,
          (err: ServiceError) => {
            if (err.code === status.UNAUTHENTICATED) return undefined;
            throw err;
          },
        ),
      { timeoutMs, intervalMs: 250 },
    );
  } finally {
    client.close();
  }
}

async function secretKey(
  provider: Provider,
  secret: string,
  key: string,
  timeoutMs: number,
): Promise<Buffer> {
  return until(
    `${key} of Secret ${secret}`,
    async () => {
      const raw = await provider
        .kubectl(["get", "secret", secret, "-o", "json"])
        .catch(() => undefined);
      const value =
        raw === undefined ? undefined : anySecretSchema.parse(JSON.parse(raw)).data?.[key];
      return value === undefined ? undefined : decode(value);
    },
    { timeoutMs, intervalMs: 250 },
  );
}
