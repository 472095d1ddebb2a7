import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, test } from "vitest";
import { parseForwardingPort, startPortForward } from "./port-forward.ts";

test("the port comes from kubectl's IPv4 forwarding line only", () => {
  expect(parseForwardingPort("Forwarding from 127.0.0.1:43121 -> 50051")).toBe(43121);
  expect(parseForwardingPort("Forwarding from 127.0.0.1:43121 -> 50051\r")).toBe(43121);
  expect(parseForwardingPort("Forwarding from [::1]:43121 -> 50051")).toBeUndefined();
  expect(parseForwardingPort("Handling connection for 50051")).toBeUndefined();
  expect(parseForwardingPort("Forwarding from 127.0.0.1:0 -> 50051")).toBeUndefined();
  expect(parseForwardingPort("Forwarding from 127.0.0.1:70000 -> 50051")).toBeUndefined();
});

/** A stand-in for kubectl port-forward: listens, prints kubectl's lines, and runs until killed. */
const fakeKubectl = `
  const server = require("node:net").createServer((s) => s.end("pod"));
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    console.log("Forwarding from 127.0.0.1:" + port + " -> 50051");
    console.log("Forwarding from [::1]:" + port + " -> 50051");
  });
`;

const readFrom = (port: number) =>
  new Promise<string>((resolve, reject) => {
    let text = "";
    connect(port, "127.0.0.1")
      .setEncoding("utf8")
      .on("data", (chunk: string) => (text += chunk))
      .on("end", () => resolve(text))
      .on("error", reject);
  });

test("a started forward reports the port it listens on, and is not alive once stopped", async () => {
  const forward = await startPortForward(process.execPath, ["-e", fakeKubectl]);
  try {
    expect(forward.alive()).toBe(true);
    expect(await readFrom(forward.port)).toBe("pod");
  } finally {
    forward.stop();
  }
  for (let i = 0; i < 50 && forward.alive(); i++) await sleep(20);
  expect(forward.alive()).toBe(false);
});

test("kubectl's error is the rejection when it exits before forwarding", async () => {
  const script = `console.error("error: unable to forward port because pod is not running. Current status=Pending"); process.exit(1)`;
  await expect(startPortForward(process.execPath, ["-e", script])).rejects.toThrow(
    /pod is not running/,
  );
});

test("a forward that never listens is given up after the timeout", async () => {
  await expect(
    startPortForward(process.execPath, ["-e", "setInterval(() => {}, 1000)"], 300),
  ).rejects.toThrow(/no forwarding line within 300 ms/);
});
