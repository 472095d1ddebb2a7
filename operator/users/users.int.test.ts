/**
 * MessageBrokerUsers against the test environment's API server, with the real operator process
 * running as a ServiceAccount that holds only the generated RBAC: credentials Secrets, statuses,
 * revocation, a user of a missing broker, and a ServiceAccount user whose tokens the issuer the
 * operator reads verifies.
 */
import {
  KubeConfig,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Secret,
} from "@kubernetes/client-node";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { tokenSha256 } from "../../contract/auth-file.ts";
import { describeApiError } from "../../lib/kube/api-error.ts";
import type { MessageBrokerUserInput, MessageBrokerUserStatus } from "../api/v1alpha1/index.ts";
import { operatorFixture, tail, type OperatorFixture } from "../test/operator-fixture.ts";
import { waitUntilReconciling, type OperatorProcess } from "../test/operator-process.ts";
import { apply, read } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";
import { serviceAccountTokenAudience } from "../render/auth-secret.ts";
import { fetchServiceAccountIssuer } from "./service-account-issuer.ts";

const env = inject("testEnv");
let world: OperatorFixture;
let operator: OperatorProcess;

beforeAll(async () => {
  world = await operatorFixture(env, "herald-users");
  operator = world.startOperator();
  await waitUntilReconciling(operator);
  await world.applyBroker("orders", {});
});
afterAll(async () => {
  await world?.teardown();
});

type UserObject = KubernetesObject & { status?: MessageBrokerUserStatus };

const applyUser = (name: string, spec: MessageBrokerUserInput["spec"]) =>
  apply(world.cluster, {
    apiVersion: "herald.dev/v1alpha1",
    kind: "MessageBrokerUser",
    metadata: { name, namespace: world.namespace },
    spec,
  } as KubernetesObject);

const readUser = (name: string) =>
  read<UserObject>(
    world.cluster,
    "herald.dev/v1alpha1",
    "MessageBrokerUser",
    world.namespace,
    name,
  );

const readSecret = (name: string) =>
  read<V1Secret>(world.cluster, "v1", "Secret", world.namespace, name);

const decoded = (secret: V1Secret, key: string) =>
  Buffer.from(secret.data?.[key] ?? "", "base64").toString("utf8");

/** The broker's rendered auth file once `check` holds. */
const authFileWhen = (check: (text: string) => boolean) =>
  until("the auth file", async () => {
    const text = decoded((await readSecret("orders-auth")) ?? {}, "auth.yaml");
    return check(text) ? text : undefined;
  });

/** The user once its Ready condition has `status` and `check` holds, with the operator's log on failure. */
async function userWhen(
  name: string,
  status: "True" | "False",
  check: (user: UserObject) => boolean = () => true,
): Promise<UserObject> {
  return until(`MessageBrokerUser ${name} Ready=${status}`, async () => {
    const user = await readUser(name);
    const ready = user?.status?.conditions?.find((c) => c.type === "Ready");
    return user && ready?.status === status && check(user) ? user : undefined;
  }).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${tail(operator)}`);
  });
}

describe("token users", () => {
  test("each gets a credentials Secret it owns: token, address and CA, and a Ready status", async () => {
    await applyUser("alice", { broker: "orders", permissions: { publish: ["orders.>"] } });
    await applyUser("bob", { broker: "orders", permissions: { subscribe: ["orders.*"] } });
    const alice = await userWhen("alice", "True");
    const bob = await userWhen("bob", "True");
    expect(alice.status?.secretName).toBe("alice-credentials");
    expect(alice.status?.permissions).toMatchObject({
      publish: ["orders.>"],
      subscribe: [],
      deny: { publish: [] },
    });
    expect(bob.status?.observedGeneration).toBe(bob.metadata?.generation);

    const secret = await readSecret("alice-credentials");
    expect(secret?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: "MessageBrokerUser", uid: alice.metadata?.uid }),
    ]);
    const token = decoded(secret ?? {}, "token");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decoded(secret ?? {}, "address")).toBe(
      `orders.${world.namespace}.svc.cluster.local:50051`,
    );
    // TLS is on by default, from the operator's CA: the clients' trust bundle is the brokers'.
    const brokerTls = await until("the brokers' certificate", () => readSecret("orders-tls"));
    expect(decoded(secret ?? {}, "ca.crt")).toContain("-----BEGIN CERTIFICATE-----");
    expect(decoded(secret ?? {}, "ca.crt")).toBe(decoded(brokerTls, "ca.crt"));

    const bobToken = decoded((await readSecret("bob-credentials")) ?? {}, "token");
    const file = await authFileWhen((text) => text.includes(tokenSha256(bobToken)));
    expect(file).toContain(tokenSha256(token));
    expect(file).not.toContain(token);
  });

  test("the token is kept across reconciles", async () => {
    const before = decoded((await readSecret("alice-credentials")) ?? {}, "token");
    const reconciles = await operator.reconciles();
    await world.touchBroker("orders", "again");
    await until("another reconcile", async () => (await operator.reconciles()) > reconciles);
    expect(decoded((await readSecret("alice-credentials")) ?? {}, "token")).toBe(before);
  });

  test("a change of permissions shows in the status", async () => {
    await applyUser("bob", {
      broker: "orders",
      permissions: { subscribe: ["orders.*"], deny: { subscribe: ["orders.secret"] } },
    });
    const bob = await userWhen("bob", "True", (user) =>
      (user.status?.permissions?.deny.subscribe ?? []).includes("orders.secret"),
    );
    expect(bob.status?.observedGeneration).toBe(2);
  });

  test("a deleted Secret comes back with a new token", async () => {
    const before = decoded((await readSecret("bob-credentials")) ?? {}, "token");
    await world.cluster.core.deleteNamespacedSecret({
      namespace: world.namespace,
      name: "bob-credentials",
    });
    const after = await until("bob's Secret again", async () => {
      const secret = await readSecret("bob-credentials");
      return secret && !secret.metadata?.deletionTimestamp ? decoded(secret, "token") : undefined;
    });
    expect(after).not.toBe(before);
  });

  test("deleting the user deletes its Secret", async () => {
    await world.cluster.objects.delete({
      apiVersion: "herald.dev/v1alpha1",
      kind: "MessageBrokerUser",
      metadata: { name: "alice", namespace: world.namespace },
    });
    await until(
      "alice's Secret gone",
      async () => (await readSecret("alice-credentials")) === undefined,
    );
  });
});

test("the API server refuses a malformed pattern and a change of broker", async () => {
  const refusal = (spec: MessageBrokerUserInput["spec"]) =>
    applyUser("erin", spec).then(
      () => "accepted",
      (err: unknown) => describeApiError(err),
    );
  // The API server's message escapes > and quotes as JSON does.
  expect(await refusal({ broker: "orders", permissions: { publish: ["orders.>.eu"] } })).toMatch(
    /spec\.permissions\.publish\[0\]: Invalid value: .*orders\..*eu.* should match/,
  );
  expect(await refusal({ broker: "orders" })).toBe("accepted");
  expect(await refusal({ broker: "payments" })).toContain(
    "broker is immutable: make another MessageBrokerUser for another MessageBroker",
  );
});

test("a user of a MessageBroker that does not exist is BrokerNotFound, and gets no Secret", async () => {
  await applyUser("carol", { broker: "nowhere", permissions: { fetch: ["a"] } });
  const carol = await userWhen("carol", "False");
  expect(carol.status?.conditions?.[0]).toMatchObject({
    reason: "BrokerNotFound",
    message: `MessageBroker nowhere does not exist in namespace ${world.namespace}`,
  });
  expect(carol.status?.permissions).toBeUndefined();
  expect(await readSecret("carol-credentials")).toBeUndefined();
});

test("a Secret of the same name that the user does not own is left alone: SecretConflict", async () => {
  await world.cluster.core.createNamespacedSecret({
    namespace: world.namespace,
    body: { metadata: { name: "frank-credentials" }, stringData: { token: "mine" } },
  });
  await applyUser("frank", { broker: "orders" });
  const frank = await userWhen("frank", "False");
  expect(frank.status?.conditions?.[0]?.reason).toBe("SecretConflict");
  const secret = await readSecret("frank-credentials");
  expect(decoded(secret ?? {}, "token")).toBe("mine");
  expect(secret?.metadata?.ownerReferences).toBeUndefined();
});

test("a user of a broker without authentication gets its Secret but is AuthDisabled", async () => {
  await world.applyBroker("open", { auth: { enabled: false } });
  await applyUser("gina", { broker: "open" });
  const gina = await userWhen("gina", "False");
  expect(gina.status?.conditions?.[0]).toMatchObject({
    reason: "AuthDisabled",
    message: "MessageBroker open has spec.auth.enabled false: it takes every client's calls",
  });
  expect(await until("gina's Secret", () => readSecret("gina-credentials"))).toBeDefined();
});

describe("a ServiceAccount user", () => {
  test("is Ready without a Secret", async () => {
    await world.cluster.core.createNamespacedServiceAccount({
      namespace: world.namespace,
      body: { metadata: { name: "billing-app" } },
    });
    await applyUser("billing", {
      broker: "orders",
      serviceAccount: "billing-app",
      permissions: { consume: ["orders.>"] },
    });
    const billing = await userWhen("billing", "True");
    expect(billing.status?.secretName).toBeUndefined();
    expect(await readSecret("billing-credentials")).toBeUndefined();
    await authFileWhen((text) =>
      text.includes(`jwtSubject: system:serviceaccount:${world.namespace}:billing-app`),
    );
  });

  test("a second user naming the same ServiceAccount is DuplicateServiceAccount", async () => {
    await applyUser("billing-too", { broker: "orders", serviceAccount: "billing-app" });
    const second = await userWhen("billing-too", "False");
    expect(second.status?.conditions?.[0]).toMatchObject({
      reason: "DuplicateServiceAccount",
      message: "MessageBrokerUser billing already names ServiceAccount billing-app for this broker",
    });
  });

  test("the issuer the operator reads with its own credentials verifies the ServiceAccount's tokens", async () => {
    const server = world.cluster.kubeConfig.getCurrentCluster()?.server ?? "";
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(await world.kubeconfigFor(server, "-issuer"));
    const { issuer, jwks } = await fetchServiceAccountIssuer(kubeConfig);
    expect(issuer).toBe(env.kube.serviceAccountIssuer);
    // The brokers get the same keys, in the JWKS ConfigMap they mount.
    const mounted = await until("the JWKS ConfigMap", () =>
      read<V1ConfigMap>(world.cluster, "v1", "ConfigMap", world.namespace, "orders-jwks"),
    );
    expect(JSON.parse(mounted.data?.["jwks.json"] ?? "")).toEqual(JSON.parse(jwks));

    const request = await world.cluster.core.createNamespacedServiceAccountToken({
      namespace: world.namespace,
      name: "billing-app",
      body: { spec: { audiences: [serviceAccountTokenAudience], expirationSeconds: 600 } },
    });
    const keys = createLocalJWKSet(JSON.parse(jwks) as Parameters<typeof createLocalJWKSet>[0]);
    const { payload } = await jwtVerify(request.status?.token ?? "", keys, {
      issuer,
      audience: serviceAccountTokenAudience,
    });
    expect(payload.sub).toBe(`system:serviceaccount:${world.namespace}:billing-app`);
  });
});
