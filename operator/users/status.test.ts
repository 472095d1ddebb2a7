import { describe, expect, it } from "vitest";
import { permissionsSchema } from "../../contract/auth-file.ts";
import { brokerNotFound, statusChanged, userStatus } from "./status.ts";
import { userFixture } from "./test/user-fixture.ts";

const permissions = permissionsSchema.parse({ subscribe: ["orders.>"] });

describe("userStatus", () => {
  it("says Ready with the Secret and the permissions in effect", () => {
    const user = userFixture("alice", {}, { generation: 3 });
    const status = userStatus(
      user,
      { ready: true, permissions, secretName: "alice-credentials" },
      "2026-01-01T00:00:00Z",
    );
    expect(status).toEqual({
      observedGeneration: 3,
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "InAuthFile",
          message:
            "In the auth file of MessageBroker orders; brokers accept it at their next reload",
          observedGeneration: 3,
          lastTransitionTime: "2026-01-01T00:00:00Z",
        },
      ],
      secretName: "alice-credentials",
      permissions,
    });
  });

  it("says why a user is not Ready, and shows no permissions then", () => {
    const user = userFixture("bob", { broker: "gone" });
    const status = userStatus(user, brokerNotFound(user), "2026-01-01T00:00:00Z");
    expect(status.conditions?.[0]).toMatchObject({
      status: "False",
      reason: "BrokerNotFound",
      message: "MessageBroker gone does not exist in namespace shop",
    });
    expect(status.permissions).toBeUndefined();
    expect(status.secretName).toBeUndefined();
  });

  it("keeps the transition time while the status holds, so a steady state writes nothing", () => {
    const first = userStatus(
      userFixture("a"),
      { ready: true, permissions },
      "2026-01-01T00:00:00Z",
    );
    const user = userFixture("a");
    user.status = first;
    const again = userStatus(user, { ready: true, permissions }, "2026-01-02T00:00:00Z");
    expect(statusChanged(first, again)).toBe(false);
    const broken = userStatus(user, brokerNotFound(user), "2026-01-02T00:00:00Z");
    expect(statusChanged(first, broken)).toBe(true);
    expect(broken.conditions?.[0]?.lastTransitionTime).toBe("2026-01-02T00:00:00Z");
  });
});
