/**
 * The PublishStream route keeps each subject's order across forwards that
 * complete out of order: a stand-in owner (a real gRPC server) answers each
 * forwarded Publish after a random delay, numbering them as it answers.
 */
import {
  Metadata,
  type sendUnaryData,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
} from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerService, type PublishRequest, type PublishResponse } from "../api/gen/broker.ts";
import { ClusterView } from "./cluster-view.ts";
import { createStreamRouter } from "./forwarding-service.ts";
import { rendezvousOwner } from "./hrw.ts";
import { PeerPool } from "./peer-pool.ts";

const server = new Server();
const peers = new PeerPool();
let members: { name: string; address: string }[] = [];

beforeAll(async () => {
  const answered = new Map<string, number>();
  server.addService(BrokerService, {
    publish: (
      call: ServerUnaryCall<PublishRequest, PublishResponse>,
      callback: sendUnaryData<PublishResponse>,
    ) => {
      setTimeout(() => {
        const id = (answered.get(call.request.subject) ?? 0) + 1;
        answered.set(call.request.subject, id);
        callback(null, { id });
      }, Math.random() * 5);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  members = [
    { name: "self", address: "127.0.0.1:1" },
    { name: "owner", address: `127.0.0.1:${port}` },
  ];
});

afterAll(() => {
  peers.close();
  server.forceShutdown();
});

/** Subjects the stand-in owner owns. */
function ownedSubjects(count: number): string[] {
  const subjects: string[] = [];
  for (let index = 0; subjects.length < count; index++) {
    if (rendezvousOwner(`router${index}`, members)?.name === "owner")
      subjects.push(`router${index}`);
  }
  return subjects;
}

describe("the PublishStream route", () => {
  it("forwards one subject's messages one at a time, so their ids follow send order", async () => {
    const view = new ClusterView("self");
    view.adopt({ epoch: 1, members });
    const openRoute = createStreamRouter({
      view,
      peers,
      forwardTimeoutMs: 5_000,
      epochWaitMs: 1_000,
      publishHere: () => Promise.reject(new Error("every subject is forwarded here")),
    });
    const publish = openRoute({ metadata: new Metadata(), getDeadline: () => Infinity });
    const subjects = ownedSubjects(3);
    const ids = await Promise.all(
      Array.from({ length: 150 }, (_, index) =>
        publish({
          subject: subjects[index % 3] ?? "",
          body: Buffer.from(`m${index}`),
          expirationSeconds: 0,
        }),
      ),
    );
    for (const position of [0, 1, 2]) {
      expect(ids.filter((_, index) => index % 3 === position)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
    }
  });
});
