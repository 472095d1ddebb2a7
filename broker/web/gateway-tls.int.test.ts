/**
 * The gateway over the gRPC port's TLS: HTTPS with the broker's certificate, mTLS with its client
 * CA (a client certificate's SAN maps to a user as on gRPC, and a client without one fails the
 * handshake), and a rotated certificate served to new connections without a restart.
 */
import { request as httpsRequest } from "node:https";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { until } from "../../testing/until.ts";
import { tokenSha256 } from "../../contract/auth-file.ts";
import { createCa, issue, serverTls, type TestCa, type TestLeaf } from "../test/certificates.ts";
import { startTestBroker, type TestBroker, uniqueSubject } from "../test/harness.ts";
import { brokerTestStores } from "../test/test-stores.ts";
import { startTestGateway, type TestGateway } from "./test/web-client.ts";

const token = "tls-web-token";
let ca: TestCa;
let client: TestLeaf;
let broker: TestBroker;
let gateway: TestGateway;
let port: number;

/** One HTTPS request to the gateway, trusting the test CA; `identity` is a client certificate. */
function send(
  method: string,
  path: string,
  options: { body?: string; identity?: TestLeaf; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        ca: ca.pem,
        cert: options.identity?.cert,
        key: options.identity?.key,
        headers: options.headers,
        timeout: 10_000,
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    outgoing.once("timeout", () => outgoing.destroy(new Error("no answer within 10 s")));
    outgoing.once("error", reject);
    outgoing.end(options.body);
  });
}

/** The serial of the certificate the gateway serves to a new connection. */
function servedSerial(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: "127.0.0.1",
      port,
      ca: ca.pem,
      cert: client.cert,
      key: client.key,
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error("no handshake within 10 s")));
    socket.once("secureConnect", () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.once("error", reject);
  });
}

beforeAll(async () => {
  ca = createCa("herald-web-tls");
  const leaf = issue(ca, "broker");
  client = issue(ca, "web-client", ["DNS:web-client.example"]);
  const authFile = join(ca.dir, "auth.yaml");
  writeFileSync(
    authFile,
    stringify({
      users: [
        {
          name: "web-cert",
          certificateSan: "web-client.example",
          permissions: { publish: ["tls.>"], fetch: ["tls.>"] },
        },
        { name: "web-token", tokenSha256: tokenSha256(token), permissions: { publish: ["tls.>"] } },
      ],
    }),
  );
  const files = serverTls(leaf, { clientCaFile: ca.certFile });
  broker = await startTestBroker(
    brokerTestStores(inject("testEnv"), "memory", "web_tls").newStore(),
    {
      security: { tls: files, authFile, jwt: undefined, reloadIntervalMs: 200 },
    },
  );
  gateway = await startTestGateway(broker.broker, { tls: { files, reloadIntervalMs: 200 } });
  port = gateway.gateway.port;
});

afterAll(async () => {
  await gateway?.gateway.close();
  await broker?.stop();
});

describe("web gateway over TLS", () => {
  it("serves HTTPS with mTLS: a client certificate's SAN is its user, as on gRPC", async () => {
    const subject = uniqueSubject("tls.web");
    const path = `/v1/subjects/${subject}/messages`;
    expect(await send("POST", path, { body: "hi", identity: client })).toEqual({
      status: 201,
      body: '{"id":1}\n',
    });
    expect(await send("GET", `${path}/1`, { identity: client })).toEqual({
      status: 200,
      body: "hi",
    });
    const denied = await send("POST", `/v1/subjects/audit.x/messages`, {
      body: "x",
      identity: client,
    });
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toMatchObject({
      message: 'web-cert may not publish "audit.x"',
    });
    // A token still names its own user over the same connection.
    const byToken = await send("GET", `${path}/1`, {
      identity: client,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(byToken.status).toBe(403);
    await expect(send("POST", path, { body: "no certificate" })).rejects.toThrow();
  });

  it("serves a rotated certificate to new connections without a restart", async () => {
    const before = await servedSerial();
    const rotated = issue(ca, "broker");
    await until(
      "the rotated certificate to be served",
      async () => (await servedSerial()) === rotated.serial,
      {
        timeoutMs: 5000,
      },
    );
    expect(rotated.serial).not.toBe(before);
  });
});
