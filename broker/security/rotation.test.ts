/**
 * Certificate rotation on a broker process: new connections get the new certificate within
 * seconds, the process is the same, and a Subscribe stream opened before the rotation still
 * receives.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { HeraldClient } from "../client/herald-client.ts";
import { type BrokerProcess, startBrokerProcess } from "../test/broker-process.ts";
import { createCa, issue, type TestCa } from "../test/certificates.ts";
import { collect } from "../test/expectations.ts";
import { uniqueSubject } from "../test/harness.ts";
import { until } from "../../testing/until.ts";
import { tokenSha256 } from "../../contract/auth-file.ts";

const token = "rotation-token-0123456789";

/** Serial number of the certificate a new TLS connection to `address` is served. */
function servedSerial(address: string, ca: Buffer): Promise<string> {
  const [host = "", port = ""] = address.split(":");
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port), ca, ALPNProtocols: ["h2"] }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.setTimeout(5000, () => socket.destroy(new Error("TLS handshake timed out")));
    socket.once("error", reject);
  });
}

describe("certificate rotation without a restart", { timeout: 60_000 }, () => {
  let ca: TestCa;
  let broker: BrokerProcess;
  let client: HeraldClient;

  beforeAll(async () => {
    ca = createCa("herald-rotation");
    const leaf = issue(ca, "broker");
    const authFile = join(ca.dir, "auth.yaml");
    writeFileSync(
      authFile,
      stringify({
        users: [
          {
            name: "all",
            tokenSha256: tokenSha256(token),
            permissions: { publish: [">"], subscribe: [">"], fetch: [">"] },
          },
        ],
      }),
    );
    broker = await startBrokerProcess({
      HERALD_TLS_CERT_FILE: leaf.certFile,
      HERALD_TLS_KEY_FILE: leaf.keyFile,
      HERALD_AUTH_FILE: authFile,
    });
    client = new HeraldClient(broker.address, { tls: { ca: ca.pem }, token });
  });

  afterAll(async () => {
    client?.close();
    broker?.child.kill("SIGTERM");
    await broker?.exited;
  });

  it("serves a new serial to new connections within seconds, same PID, open stream still receiving", async () => {
    const pid = broker.child.pid;
    const before = await servedSerial(broker.address, ca.pem);
    const subject = uniqueSubject("rotation");
    const subscription = collect(client, subject, 2);
    await subscription.subscribed;
    await client.publish(subject, "before");

    const rotated = issue(ca, "broker");
    expect(rotated.serial).not.toBe(before);
    const started = Date.now();
    const served = await until(
      "the new certificate on new connections",
      async () => {
        const serial = await servedSerial(broker.address, ca.pem);
        if (serial === rotated.serial) return serial;
        // Quoted if time runs out: what was served, and what the broker said about its files.
        const said = broker.logs.filter((line) => line.includes("tls")).slice(-3);
        throw new Error(`served ${serial}, expected ${rotated.serial}; ${said.join(" ")}`);
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`certificate rotation: new serial served after ${seconds.toFixed(2)} s\n`);
    expect(served).toBe(rotated.serial);
    expect(broker.child.pid).toBe(pid);
    expect(broker.child.exitCode).toBeNull();

    // The stream opened on the old certificate still receives; a new client connects on the new one.
    const fresh = new HeraldClient(broker.address, { tls: { ca: ca.pem }, token });
    try {
      await fresh.publish(subject, "after");
    } finally {
      fresh.close();
    }
    const received = await subscription.messages;
    expect(received.map((message) => message.body.toString())).toEqual(["before", "after"]);
    expect(broker.logs.some((line) => line.includes(rotated.serial))).toBe(true);
  });
});
