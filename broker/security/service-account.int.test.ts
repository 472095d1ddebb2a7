/**
 * Kubernetes ServiceAccount tokens as bearer tokens, against the test environment's real API
 * server: tokens made with the TokenRequest API for the broker's audience, verified with the API
 * server's JWKS (`/openid/v1/jwks`, fetched into a file), mapped to users by their subject.
 */
import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { MemoryStore } from "../store/memory/memory-store.ts";
import { createCa, issue, serverTls } from "../test/certificates.ts";
import { expectStatus } from "../test/expectations.ts";
import { startTestBroker, type TestBroker, uniqueSubject } from "../test/harness.ts";
import { connect, createNamespace } from "../../testing/kube-cluster.ts";

const env = inject("testEnv");
const audience = "herald-broker";

/** GET `path` from the API server as the admin. */
async function apiGet(path: string): Promise<string> {
  const ca = await readFile(env.kube.caFile);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      new URL(path, env.kube.apiServerUrl),
      { ca, headers: { authorization: `Bearer ${env.kube.adminToken}` } },
      (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () =>
          response.statusCode === 200 ? resolve(text) : reject(new Error(`${path}: ${text}`)),
        );
      },
    );
    outgoing.on("error", reject);
    outgoing.end();
  });
}

describe("Kubernetes ServiceAccount tokens", () => {
  const cluster = connect(env);
  let namespace: Awaited<ReturnType<typeof createNamespace>>;
  let broker: TestBroker;
  let caPem: Buffer;
  const clientWith = (token: string) =>
    broker.client({ tls: { ca: caPem }, token, callTimeoutMs: 5000 });

  const tokenFor = async (serviceAccount: string, audiences = [audience]) => {
    const created = await cluster.core.createNamespacedServiceAccountToken({
      namespace: namespace.name,
      name: serviceAccount,
      body: { spec: { expirationSeconds: 600, audiences } },
    });
    return created.status?.token ?? "";
  };

  beforeAll(async () => {
    namespace = await createNamespace(cluster, "herald-sa");
    for (const name of ["writer", "stranger"]) {
      await cluster.core.createNamespacedServiceAccount({
        namespace: namespace.name,
        body: { metadata: { name } },
      });
    }
    const ca = createCa("herald-sa");
    caPem = ca.pem;
    const leaf = issue(ca, "broker");
    const jwksFile = join(ca.dir, "jwks.json");
    writeFileSync(jwksFile, await apiGet("/openid/v1/jwks"));
    const authFile = join(ca.dir, "auth.yaml");
    writeFileSync(
      authFile,
      stringify({
        users: [
          {
            name: "orders-writer",
            jwtSubject: `system:serviceaccount:${namespace.name}:writer`,
            permissions: { publish: ["orders.>"], fetch: ["orders.>"] },
          },
        ],
      }),
    );
    broker = await startTestBroker(new MemoryStore({ maxMessagesPerSubject: 100 }), {
      security: {
        tls: serverTls(leaf),
        authFile,
        jwt: {
          issuer: env.kube.serviceAccountIssuer,
          audience,
          jwks: { kind: "file", path: jwksFile },
          permissionsClaim: "herald",
        },
        reloadIntervalMs: 1000,
      },
    });
  });

  afterAll(async () => {
    await broker?.stop();
    await namespace?.remove();
  });

  it("authorizes a ServiceAccount's token as the user its subject maps to", async () => {
    const client = clientWith(await tokenFor("writer"));
    const subject = uniqueSubject("orders.sa");
    const id = await client.publish(subject, "from a pod identity");
    expect((await client.fetch(subject, id)).body.toString()).toBe("from a pod identity");
    await expectStatus(
      client.publish("audit.sa", "x"),
      status.PERMISSION_DENIED,
      /orders-writer may not publish "audit\.sa"/,
    );
  });

  it("gives a valid token of an unmapped ServiceAccount no permissions", async () => {
    const client = clientWith(await tokenFor("stranger"));
    await expectStatus(
      client.publish(uniqueSubject("orders.sa"), "x"),
      status.PERMISSION_DENIED,
      new RegExp(`system:serviceaccount:${namespace.name}:stranger may not publish`),
    );
  });

  it("refuses a token for another audience, and the admin's own credential, as UNAUTHENTICATED", async () => {
    const other = clientWith(await tokenFor("writer", ["someone-else"]));
    await expectStatus(
      other.publish(uniqueSubject("orders.sa"), "x"),
      status.UNAUTHENTICATED,
      /aud/,
    );
    const admin = clientWith(env.kube.adminToken);
    await expectStatus(admin.publish(uniqueSubject("orders.sa"), "x"), status.UNAUTHENTICATED);
  });
});
