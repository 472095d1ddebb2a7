import { randomBytes } from "node:crypto";
import { postgres, postgresHost, renderPostgres } from "../kind/postgres.ts";
import type { Provider } from "../scenarios/provider.ts";

/**
 * The scenario's namespace on a real cluster, enforcing the restricted Pod Security Standard,
 * with a PostgreSQL Deployment in it, Ready; the namespace goes again if PostgreSQL does not come
 * up. Returns the PostgreSQL the brokers use.
 */
export async function namespaceWithPostgres(
  kubectl: (args: readonly string[], stdin?: string) => Promise<string>,
  namespace: string,
  options: { image?: string; timeoutSeconds: number },
): Promise<Provider["postgres"]> {
  await kubectl(["create", "namespace", namespace]);
  try {
    // Every pod of the scenario, the operator's and its own, must pass the restricted standard.
    await kubectl([
      "label",
      "namespace",
      namespace,
      "pod-security.kubernetes.io/enforce=restricted",
      "pod-security.kubernetes.io/enforce-version=v1.32",
    ]);
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
