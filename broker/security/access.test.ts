/**
 * The security matrix on real brokers over real gRPC (memory store, in-process): for TLS, mTLS,
 * auth-file tokens, certificate users and JWTs, which calls pass and which fail with which code;
 * permission changes and removed users without a restart; forged forwards; and a two-member
 * cluster over mTLS whose owner authorizes forwarded calls again.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials, Metadata, status } from "@grpc/grpc-js";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { BrokerClient } from "../api/gen/broker.ts";
import { ClusterClient } from "../api/gen/cluster.ts";
import { HeraldClient, type HeraldClientOptions } from "../client/herald-client.ts";
import { forwardedEpochKey } from "../cluster/forwarded-metadata.ts";
import { rendezvousOwner } from "../cluster/hrw.ts";
import { startTestCluster, type TestCluster } from "../cluster/test/cluster-harness.ts";
import type { SecurityConfig } from "../config.ts";
import { MemoryStore } from "../store/memory/memory-store.ts";
import { createCa, issue, serverTls, type TestCa, type TestLeaf } from "../test/certificates.ts";
import { collect, expectStatus, failureOf } from "../test/expectations.ts";
import { startTestBroker, type TestBroker, uniqueSubject } from "../test/harness.ts";
import { until } from "../../testing/until.ts";
import { type AuthFile, tokenSha256 } from "../../contract/auth-file.ts";

const dir = mkdtempSync(join(tmpdir(), "herald-access-"));
const authPath = join(dir, "auth.yaml");
const writeAuth = (file: AuthFile) => writeFileSync(authPath, stringify(file));

const writerToken = "writer-token-0123456789";
const readerToken = "reader-token-0123456789";
const writer = {
  name: "orders-writer",
  tokenSha256: tokenSha256(writerToken),
  permissions: {
    publish: ["orders.>"],
    subscribe: ["orders.*"],
    fetch: ["orders.>"],
    deny: { publish: ["orders.secret.>"] },
  },
};
const reader = {
  name: "reader",
  tokenSha256: tokenSha256(readerToken),
  permissions: { subscribe: [">"], fetch: [">"] },
};
const workerToken = "worker-token-0123456789";
const worker = {
  name: "orders-worker",
  tokenSha256: tokenSha256(workerToken),
  permissions: {
    publish: ["orders.>"],
    consume: ["orders.>"],
    deny: { consume: ["orders.secret.>"] },
  },
};
const certificateUser = {
  name: "orders-client",
  certificateSan: "orders-client.example",
  permissions: { publish: ["orders.>"], fetch: ["orders.>"] },
};

const newStore = () => new MemoryStore({ maxMessagesPerSubject: 1000 });
const subject = (name: string) => uniqueSubject(`orders.${name}`).replace(/\.([^.]*)$/, "_$1");

let ca: TestCa;
let clientCa: TestCa;
let serverLeaf: TestLeaf;
let clientLeaf: TestLeaf;

beforeAll(() => {
  ca = createCa("herald-access");
  clientCa = createCa("herald-clients");
  serverLeaf = issue(ca, "broker");
  clientLeaf = issue(clientCa, "orders-client", ["DNS:orders-client.example"]);
  writeAuth({ users: [writer, reader, worker, certificateUser] });
});

const security = (overrides: Partial<SecurityConfig> = {}): SecurityConfig => ({
  tls: {
    certFile: serverLeaf.certFile,
    keyFile: serverLeaf.keyFile,
    clientCaFile: undefined,
    clusterCaFile: undefined,
  },
  authFile: authPath,
  jwt: undefined,
  reloadIntervalMs: 200,
  ...overrides,
});

const tlsClient = (broker: TestBroker, options: HeraldClientOptions = {}) =>
  broker.client({ tls: { ca: ca.pem }, callTimeoutMs: 3000, ...options });

describe("bearer tokens over TLS", () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker(newStore(), { security: security() });
  });
  afterAll(() => broker?.stop());

  it("refuses a plaintext client and one that does not trust the broker's CA", async () => {
    await expectStatus(
      broker.client({ callTimeoutMs: 2000 }).publish("orders.a", "x"),
      status.UNAVAILABLE,
    );
    const other = createCa("herald-other");
    await expectStatus(
      broker.client({ tls: { ca: other.pem }, callTimeoutMs: 2000 }).publish("orders.a", "x"),
      status.UNAVAILABLE,
    );
  });

  it("refuses a call without a token, or with an unknown or malformed one, as UNAUTHENTICATED", async () => {
    await expectStatus(
      tlsClient(broker).publish("orders.a", "x"),
      status.UNAUTHENTICATED,
      /no credential/,
    );
    await expectStatus(
      tlsClient(broker, { token: "nope" }).publish("orders.a", "x"),
      status.UNAUTHENTICATED,
      /unknown bearer token/,
    );
    const raw = new BrokerClient(broker.address, credentials.createSsl(ca.pem));
    const metadata = new Metadata();
    metadata.set("authorization", "Basic abc");
    const err = await failureOf(
      new Promise((resolve, reject) =>
        raw.fetch({ subject: "orders.a", id: 1 }, metadata, (e, r) => (e ? reject(e) : resolve(r))),
      ),
    );
    expect(err.code).toBe(status.UNAUTHENTICATED);
    raw.close();
  });

  it("allows each verb on the subjects its patterns match and denies the rest, naming verb and subject", async () => {
    const client = tlsClient(broker, { token: writerToken });
    const orders = subject("eu");
    const id = await client.publish(orders, "hello");
    expect((await client.fetch(orders, id)).body.toString()).toBe("hello");
    await expectStatus(
      client.publish("audit.eu", "x"),
      status.PERMISSION_DENIED,
      /orders-writer may not publish "audit\.eu"/,
    );
    // deny wins over allow
    await expectStatus(
      client.publish("orders.secret.plans", "x"),
      status.PERMISSION_DENIED,
      /publish/,
    );
    // `orders.>` does not match `orders`
    await expectStatus(client.publish("orders", "x"), status.PERMISSION_DENIED);
    await expectStatus(client.fetch("audit.eu", 1), status.PERMISSION_DENIED, /may not fetch/);
    // subscribe is `orders.*`: one token only
    await expectStatus(
      collect(client, "orders.eu.paid", 1).messages,
      status.PERMISSION_DENIED,
      /may not subscribe "orders\.eu\.paid"/,
    );
    const reading = tlsClient(broker, { token: readerToken });
    await expectStatus(
      reading.publish(orders, "x"),
      status.PERMISSION_DENIED,
      /reader may not publish/,
    );
    expect((await reading.fetch(orders, id)).body.toString()).toBe("hello");
  });

  it("checks every PublishBatch item: one denied subject refuses the whole batch", async () => {
    const client = tlsClient(broker, { token: writerToken });
    const orders = subject("batch");
    await expectStatus(
      client.publishBatch([
        { subject: orders, body: "a" },
        { subject: "audit.batch", body: "b" },
      ]),
      status.PERMISSION_DENIED,
      /audit\.batch/,
    );
    expect(await client.publishBatch([{ subject: orders, body: "a" }])).toEqual([1]);
  });

  it("checks every PublishStream frame: a denied one is answered PERMISSION_DENIED and the stream goes on", async () => {
    const publisher = tlsClient(broker, { token: writerToken }).publisher();
    const orders = subject("stream");
    const results = await Promise.allSettled([
      publisher.publish(orders, "a"),
      publisher.publish("audit.stream", "b"),
      publisher.publish(orders, "c"),
    ]);
    await publisher.close();
    expect(results[0]).toEqual({ status: "fulfilled", value: 1 });
    expect(results[1]).toMatchObject({
      status: "rejected",
      reason: { code: status.PERMISSION_DENIED },
    });
    expect(results[2]).toEqual({ status: "fulfilled", value: 2 });
    const anonymous = tlsClient(broker).publisher();
    await expectStatus(anonymous.publish(orders, "x"), status.UNAUTHENTICATED);
    await anonymous.close();
  });

  it("authorizes Consume on the subject or pattern it starts on, deny winning", async () => {
    const client = tlsClient(broker, { token: workerToken });
    const subject = uniqueSubject("orders.work").replace(/\.([^.]*)$/, "_$1");
    const received: string[] = [];
    const stop = new AbortController();
    let joined = () => {};
    const member = client.consume(
      "workers",
      "orders.*",
      (message) => {
        received.push(message.body.toString());
        stop.abort();
      },
      { signal: stop.signal, onJoined: () => joined() },
    );
    await new Promise<void>((resolve) => (joined = resolve));
    await client.publish(subject, "work");
    await member;
    expect(received).toEqual(["work"]);
    const none = () => undefined;
    // orders.> includes orders.secret.x, which is denied
    await expectStatus(
      client.consume("workers", "orders.>", none),
      status.PERMISSION_DENIED,
      /consume/,
    );
    await expectStatus(
      tlsClient(broker, { token: writerToken }).consume("workers", "orders.*", none),
      status.PERMISSION_DENIED,
      /orders-writer may not consume "orders\.\*"/,
    );
    await expectStatus(
      tlsClient(broker).consume("workers", "orders.*", none),
      status.UNAUTHENTICATED,
    );
  });

  it("lists only the groups whose subject or pattern the caller may consume", async () => {
    const client = tlsClient(broker, { token: workerToken });
    const stop = new AbortController();
    let joined = () => {};
    const member = client.consume("listed", "orders.*", () => undefined, {
      signal: stop.signal,
      onJoined: () => joined(),
    });
    await new Promise<void>((resolve) => (joined = resolve));
    const [listed] = await client.listGroups("listed");
    expect(listed).toMatchObject({ group: "listed", subject: "orders.*" });
    expect(await tlsClient(broker, { token: readerToken }).listGroups()).toEqual([]);
    await expectStatus(tlsClient(broker).listGroups(), status.UNAUTHENTICATED);
    stop.abort();
    await member;
  });

  it("refuses a call a client marks as forwarded, and Handoff: only cluster members may", async () => {
    const raw = new BrokerClient(broker.address, credentials.createSsl(ca.pem));
    const metadata = new Metadata();
    metadata.set(forwardedEpochKey, "1");
    metadata.set("authorization", `Bearer ${writerToken}`);
    const err = await failureOf(
      new Promise((resolve, reject) =>
        raw.publish(
          {
            subject: "orders.forged",
            body: Buffer.from("x"),
            expirationSeconds: 0,
            idempotencyKey: "",
          },
          metadata,
          (e, r) => (e ? reject(e) : resolve(r)),
        ),
      ),
    );
    expect(err.code).toBe(status.UNAUTHENTICATED);
    expect(err.details).toMatch(/cluster member/);
    raw.close();
    const cluster = new ClusterClient(broker.address, credentials.createSsl(ca.pem));
    const handoff = await failureOf(
      new Promise((resolve, reject) =>
        cluster.handoff({ subject: "orders.a", epoch: 2 }, metadata, (e, r) =>
          e ? reject(e) : resolve(r),
        ),
      ),
    );
    expect(handoff.code).toBe(status.UNAUTHENTICATED);
    cluster.close();
  });
});

describe("a changed auth file applies without a restart", () => {
  let broker: TestBroker;
  beforeAll(async () => {
    writeAuth({ users: [writer, reader] });
    broker = await startTestBroker(newStore(), { security: security() });
  });
  afterAll(() => {
    writeAuth({ users: [writer, reader, certificateUser] });
    return broker?.stop();
  });

  it("follows a permission change on unary calls and on an open stream, and refuses a removed user", async () => {
    const client = tlsClient(broker, { token: readerToken });
    const orders = subject("reload");
    await expectStatus(client.publish(orders, "x"), status.PERMISSION_DENIED);
    const publisher = client.publisher();
    await expect(publisher.publish(orders, "denied")).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    writeAuth({
      users: [writer, { ...reader, permissions: { ...reader.permissions, publish: ["orders.>"] } }],
    });
    await until(
      "the permission change",
      () =>
        client.publish(orders, "now allowed").then(
          () => true,
          () => false,
        ),
      {
        timeoutMs: 5000,
        intervalMs: 50,
      },
    );
    expect(await publisher.publish(orders, "stream allowed too")).toBeGreaterThan(0);
    writeAuth({ users: [writer] });
    await until(
      "the removal of the user",
      () =>
        client.publish(orders, "x").then(
          () => false,
          (err: { code: status }) => err.code === status.UNAUTHENTICATED,
        ),
      { timeoutMs: 5000, intervalMs: 50 },
    );
    await expect(publisher.publish(orders, "gone")).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
    await publisher.close();
  });

  it("ends an open Subscribe whose user lost the permission or is gone, and keeps the others", async () => {
    writeAuth({ users: [writer, reader] });
    const readerClient = tlsClient(broker, { token: readerToken });
    await until("the reader back in the file", () =>
      readerClient.fetch("orders.none", 1).then(
        () => true,
        (err: { code: status }) => err.code === status.INVALID_ARGUMENT,
      ),
    );
    const orders = subject("revoke");
    const publisher = tlsClient(broker, { token: writerToken });
    const kept = collect(publisher, orders, 2);
    const revoked = collect(readerClient, orders, 2);
    await Promise.all([kept.subscribed, revoked.subscribed]);
    await publisher.publish(orders, "one");
    writeAuth({ users: [writer, { ...reader, permissions: { fetch: ["nothing.>"] } }] });
    await expectStatus(revoked.messages, status.PERMISSION_DENIED, /reader may not subscribe/);
    await publisher.publish(orders, "two");
    expect((await kept.messages).map((message) => message.body.toString())).toEqual(["one", "two"]);

    writeAuth({ users: [writer, reader] });
    await until("the reader's permissions back", () =>
      readerClient.fetch(orders, 1).then(
        () => true,
        () => false,
      ),
    );
    const gone = collect(readerClient, orders, 1);
    await gone.subscribed;
    writeAuth({ users: [writer] });
    await expectStatus(gone.messages, status.UNAUTHENTICATED, /unknown bearer token/);
  });

  it("ends an open Consume whose user lost the permission", async () => {
    writeAuth({ users: [writer, worker] });
    const client = tlsClient(broker, { token: workerToken });
    await until("the worker in the file", () =>
      client.publish(subject("probe"), "x").then(
        () => true,
        () => false,
      ),
    );
    let joined = () => {};
    const hasJoined = new Promise<void>((resolve) => (joined = resolve));
    const member = client.consume("revoked", "orders.*", () => undefined, {
      onJoined: () => joined(),
    });
    await hasJoined;
    writeAuth({ users: [writer, { ...worker, permissions: { publish: ["orders.>"] } }] });
    await expectStatus(
      member,
      status.PERMISSION_DENIED,
      /orders-worker may not consume "orders\.\*"/,
    );
  });

  it("keeps the previous file when the new one is invalid", async () => {
    writeFileSync(authPath, "users: [{ name: x, permissions: { publish: ['a.>.b'] } }]");
    await new Promise((resolve) => setTimeout(resolve, 600));
    const id = await tlsClient(broker, { token: writerToken }).publish(subject("kept"), "x");
    expect(id).toBe(1);
  });
});

describe("client certificates (mTLS)", () => {
  let broker: TestBroker;
  beforeAll(async () => {
    writeAuth({ users: [writer, reader, certificateUser] });
    broker = await startTestBroker(newStore(), {
      security: security({
        tls: {
          certFile: serverLeaf.certFile,
          keyFile: serverLeaf.keyFile,
          clientCaFile: clientCa.certFile,
          clusterCaFile: undefined,
        },
      }),
    });
  });
  afterAll(() => broker?.stop());

  it("refuses a client without a certificate or with one of another CA at the handshake", async () => {
    await expectStatus(
      tlsClient(broker, { token: writerToken }).publish("orders.a", "x"),
      status.UNAVAILABLE,
    );
    const stranger = issue(createCa("herald-stranger"), "stranger", ["DNS:orders-client.example"]);
    await expectStatus(
      tlsClient(broker, { tls: { ca: ca.pem, cert: stranger.cert, key: stranger.key } }).publish(
        "orders.a",
        "x",
      ),
      status.UNAVAILABLE,
    );
  });

  it("maps the certificate's SAN to its user and authorizes as that user", async () => {
    const client = tlsClient(broker, {
      tls: { ca: ca.pem, cert: clientLeaf.cert, key: clientLeaf.key },
    });
    const orders = subject("mtls");
    const id = await client.publish(orders, "by certificate");
    expect((await client.fetch(orders, id)).body.toString()).toBe("by certificate");
    await expectStatus(
      client.publish("audit.mtls", "x"),
      status.PERMISSION_DENIED,
      /orders-client may not publish/,
    );
    await expectStatus(collect(client, orders, 1).messages, status.PERMISSION_DENIED, /subscribe/);
  });

  it("refuses a certificate that names no user, unless a token says who it is", async () => {
    const unmapped = issue(clientCa, "unmapped", ["DNS:nobody.example"]);
    const tls = { ca: ca.pem, cert: unmapped.cert, key: unmapped.key };
    await expectStatus(
      tlsClient(broker, { tls }).publish("orders.a", "x"),
      status.UNAUTHENTICATED,
      /names no user/,
    );
    expect(await tlsClient(broker, { tls, token: writerToken }).publish(subject("both"), "x")).toBe(
      1,
    );
  });
});

describe("JWT bearer tokens", () => {
  const issuer = "https://issuer.herald.test";
  const audience = "herald";
  let broker: TestBroker;
  let jwks: string;
  let sign: (
    claims: JWTPayload,
    options?: {
      expiresIn?: string | number;
      audience?: string;
      issuer?: string;
      otherKey?: boolean;
    },
  ) => Promise<string>;

  beforeAll(async () => {
    const keys = await generateKeyPair("ES256");
    const other = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    const jwksFile = join(dir, "jwks.json");
    jwks = JSON.stringify({ keys: [jwk] });
    writeFileSync(jwksFile, jwks);
    sign = (claims, options = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? audience)
        .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
        .setExpirationTime(options.expiresIn ?? "5m")
        .sign(options.otherKey === true ? other.privateKey : keys.privateKey);
    writeAuth({
      users: [
        writer,
        { name: "mapped-service", jwtSubject: "svc-mapped", permissions: { fetch: ["orders.>"] } },
      ],
    });
    broker = await startTestBroker(newStore(), {
      security: security({
        jwt: {
          issuer,
          audience,
          jwks: { kind: "file", path: jwksFile },
          permissionsClaim: "herald",
        },
      }),
    });
  });
  afterAll(() => broker?.stop());

  it("authorizes a valid token by its permissions claim", async () => {
    const token = await sign({ sub: "svc-a", herald: { publish: ["orders.>"], fetch: [">"] } });
    const client = tlsClient(broker, { token });
    const orders = subject("jwt");
    const id = await client.publish(orders, "signed");
    expect((await client.fetch(orders, id)).body.toString()).toBe("signed");
    await expectStatus(
      client.publish("audit.jwt", "x"),
      status.PERMISSION_DENIED,
      /svc-a may not publish/,
    );
  });

  it.each([
    ["expired", { expiresIn: Math.floor(Date.now() / 1000) - 60 }, /exp/],
    ["for another audience", { audience: "someone-else" }, /aud/],
    ["of another issuer", { issuer: "https://evil.test" }, /iss/],
    ["signed by another key", { otherKey: true }, /signature/],
  ])("refuses a token %s as UNAUTHENTICATED", async (_case, options, reason) => {
    const token = await sign({ sub: "svc-a", herald: { publish: [">"] } }, options);
    await expectStatus(
      tlsClient(broker, { token }).publish("orders.a", "x"),
      status.UNAUTHENTICATED,
      reason,
    );
  });

  it("gives a token without a claim no permissions, unless the auth file maps its subject", async () => {
    const bare = await sign({ sub: "svc-bare" });
    await expectStatus(
      tlsClient(broker, { token: bare }).fetch("orders.a", 1),
      status.PERMISSION_DENIED,
    );
    const mapped = await sign({ sub: "svc-mapped", herald: { publish: [">"] } });
    const client = tlsClient(broker, { token: mapped });
    // The file's mapping wins over the token's own claim.
    await expectStatus(client.publish("orders.a", "x"), status.PERMISSION_DENIED, /mapped-service/);
    await expectStatus(client.fetch(subject("mapped"), 1), status.INVALID_ARGUMENT, /unknown id/);
  });

  it("fetches the keys from a JWKS URL whose server chains to the given CA", async () => {
    const jwksServer = createServer({ cert: serverLeaf.cert, key: serverLeaf.key }, (_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(jwks);
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
    const address = jwksServer.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const remote = await startTestBroker(newStore(), {
      security: security({
        jwt: {
          issuer,
          audience,
          jwks: { kind: "url", url: `https://127.0.0.1:${port}/jwks`, caFile: ca.certFile },
          permissionsClaim: "herald",
        },
      }),
    });
    try {
      const token = await sign({ sub: "svc-remote", herald: { publish: ["orders.>"] } });
      expect(await tlsClient(remote, { token }).publish(subject("remote"), "x")).toBe(1);
      const forged = await sign(
        { sub: "svc-remote", herald: { publish: [">"] } },
        { otherKey: true },
      );
      await expectStatus(
        tlsClient(remote, { token: forged }).publish("orders.a", "x"),
        status.UNAUTHENTICATED,
      );
    } finally {
      await remote.stop();
      await new Promise((resolve) => jwksServer.close(resolve));
    }
  });

  it("ends an open Subscribe when its JWT expires", async () => {
    const token = await sign(
      { sub: "svc-short", herald: { subscribe: ["orders.>"] } },
      { expiresIn: Math.floor(Date.now() / 1000) + 2 },
    );
    const subscription = collect(tlsClient(broker, { token }), subject("expiring"), 1);
    await subscription.subscribed;
    await expectStatus(subscription.messages, status.UNAUTHENTICATED, /token has expired/);
  });

  it("still takes the auth file's tokens", async () => {
    expect(await tlsClient(broker, { token: writerToken }).publish(subject("file"), "x")).toBe(1);
  });
});

describe("a two-member cluster over mTLS with authentication", () => {
  let cluster: TestCluster;
  let members: TestCa;

  beforeAll(async () => {
    writeAuth({ users: [writer, reader, certificateUser] });
    members = createCa("herald-members");
    const store = newStore();
    cluster = await startTestCluster(2, () => store, {
      prefix: "secure",
      security: (name) => {
        const leaf = issue(members, name);
        return security({
          tls: serverTls(leaf, { clusterCaFile: members.certFile }),
        });
      },
      clientOptions: { tls: { ca: members.pem }, token: writerToken, callTimeoutMs: 5000 },
    });
  });
  afterAll(() => cluster?.stop());

  it("forwards to the owner, which authorizes the client's principal again", async () => {
    const membership = { epoch: 1, members: cluster.members.map((m) => m.member) };
    const orders = subject("cluster");
    const owner = cluster.ownerOf(orders, membership);
    const other = cluster.members.find((member) => member !== owner);
    if (other === undefined) throw new Error("need two members");
    const client = other.client();
    const ids = await Promise.all([1, 2, 3].map((n) => client.publish(orders, `m${n}`)));
    expect(ids.sort()).toEqual([1, 2, 3]);
    expect((await owner.client().fetch(orders, 2)).body.toString()).toMatch(/^m/);
    const publisher = client.publisher();
    expect(await publisher.publish(orders, "streamed")).toBe(4);
    await publisher.close();
    const received = collect(client, orders, 1);
    await received.subscribed;
    await owner.client().publish(orders, "relayed");
    expect((await received.messages).map((m) => m.body.toString())).toEqual(["relayed"]);
    const audit = uniqueSubject("audit");
    await expectStatus(client.publish(audit, "x"), status.PERMISSION_DENIED);
  });

  it("takes on the cluster port only a member's certificate: a client with a valid token cannot connect", async () => {
    const member = cluster.members[0];
    if (member?.member.clusterAddress === undefined) throw new Error("no cluster port");
    const client = new HeraldClient(member.member.clusterAddress, {
      tls: { ca: members.pem },
      token: writerToken,
      callTimeoutMs: 3000,
    });
    try {
      await expectStatus(client.publish(subject("cluster-port"), "x"), status.UNAVAILABLE);
    } finally {
      client.close();
    }
  });
});

describe("a two-member cluster over mTLS with client certificates", () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    writeAuth({ users: [writer, reader, certificateUser] });
    const members = createCa("herald-members-mtls");
    const store = newStore();
    cluster = await startTestCluster(2, () => store, {
      prefix: "mtls",
      security: (name) => {
        const leaf = issue(members, name);
        return security({
          tls: serverTls(leaf, {
            clientCaFile: clientCa.certFile,
            clusterCaFile: members.certFile,
          }),
        });
      },
      clientOptions: {
        tls: { ca: members.pem, cert: clientLeaf.cert, key: clientLeaf.key },
        callTimeoutMs: 5000,
      },
    });
  });
  afterAll(() => cluster?.stop());

  it("forwards a certificate user's call by name, and the owner authorizes that user again", async () => {
    const membership = { epoch: 1, members: cluster.members.map((m) => m.member) };
    const orders = subject("cert");
    const owner = cluster.ownerOf(orders, membership);
    const other = cluster.members.find((member) => member !== owner);
    if (other === undefined) throw new Error("need two members");
    const client = other.client();
    expect(await client.publish(orders, "by certificate")).toBe(1);
    expect((await client.fetch(orders, 1)).body.toString()).toBe("by certificate");
    const audit = uniqueSubject("audit");
    await expectStatus(client.publish(audit, "x"), status.PERMISSION_DENIED, /orders-client/);
  });
});

describe("the owner of a forwarded call authorizes it under its own auth file", () => {
  let cluster: TestCluster;
  const names = ["strict-0", "strict-1"];
  /** A subject owned by strict-1, whose auth file denies it; strict-0's file allows it. */
  const guarded = (() => {
    for (let n = 0; ; n++) {
      const candidate = `orders.guarded${n}`;
      const owner = rendezvousOwner(
        candidate,
        names.map((name) => ({ name, address: "" })),
      );
      if (owner?.name === "strict-1") return candidate;
    }
  })();

  beforeAll(async () => {
    const members = createCa("herald-members-strict");
    const store = newStore();
    cluster = await startTestCluster(2, () => store, {
      prefix: "strict",
      security: (name) => {
        const leaf = issue(members, name);
        const file = join(dir, `${name}-auth.yaml`);
        const denied = name === "strict-1" ? [guarded] : [];
        writeFileSync(
          file,
          stringify({
            users: [
              { ...writer, permissions: { ...writer.permissions, deny: { publish: denied } } },
            ],
          }),
        );
        return {
          ...security({
            tls: serverTls(leaf, { clusterCaFile: members.certFile }),
          }),
          authFile: file,
        };
      },
      clientOptions: { tls: { ca: members.pem }, token: writerToken, callTimeoutMs: 5000 },
    });
  });
  afterAll(() => cluster?.stop());

  it("refuses on the owner what the member the client called let through", async () => {
    const client = cluster.byName("strict-0").client();
    await expectStatus(
      client.publish(guarded, "x"),
      status.PERMISSION_DENIED,
      new RegExp(`orders-writer may not publish "${guarded.replace(".", "\\.")}"`),
    );
    expect(await client.publish(subject("allowed"), "y")).toBe(1);
  });
});
