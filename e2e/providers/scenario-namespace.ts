import { randomBytes } from "node:crypto";
import { postgres, postgresHost, renderPostgres } from "../kind/postgres.ts";
import type { Provider } from "../scenarios/provider.ts";

/**
 * The scenario's namespace on a real cluster, with a PostgreSQL Deployment in it, Ready; the
 * namespace goes again if PostgreSQL does not come up. Returns the PostgreSQL the brokers use.
 */
export async function namespaceWithPostgres(
  kubectl: (args: readonly string[], stdin?: string) => Promise<string>,
  namespace: string,
  options: { image?: string; timeoutSeconds: number },
): Promise<Provider["postgres"]> {
  await kubectl(["create", "namespace", namespace]);
  try {
    const password = randomBytes(18).toString("base64url");
    const manifest = renderPostgres({ namespace, password, image: options.image });
    await kubectl(["apply", "-f", "-"], JSON.stringify(manifest));
    await kubectl([
      "rollout",
      "status",
      `deployment/${postgres.name}`,
      `--timeout=${options.timeoutSeconds}s`,
    ]);
  } catch (err) {
    await kubectl(["delete", "namespace", namespace, "--wait=false"]).catch(() => "");
    throw err;
  }
  return {
    host: postgresHost(namespace),
    port: postgres.port,
    database: postgres.database,
    credentialsSecret: postgres.credentialsSecret,
  };
}
