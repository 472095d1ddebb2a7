import { describe, expect, it } from "vitest";
import { renderBrokerConfigMap } from "./broker-configmap.ts";
import { brokerFixture, externalPostgresSpec, managedPostgresSpec } from "../test/fixtures.ts";

describe("renderBrokerConfigMap", () => {
  it("holds the broker's settings as HERALD_* variables", () => {
    const configMap = renderBrokerConfigMap(
      brokerFixture({ logLevel: "debug", storage: { batch: { maxSize: 64 } } }),
    );
    expect(configMap.metadata?.name).toBe("orders-config");
    expect(configMap.data).toEqual({
      HERALD_STORE: "memory",
      HERALD_BATCH_MAX_SIZE: "64",
      HERALD_BATCH_MAX_DELAY_MS: "5",
      HERALD_MAX_MESSAGE_BYTES: "4194304",
      HERALD_LOG_LEVEL: "debug",
      HERALD_SHUTDOWN_GRACE_MS: "24000",
      HERALD_DEDUP_WINDOW_SECONDS: "120",
    });
  });

  it("adds the store's connection settings", () => {
    expect(renderBrokerConfigMap(brokerFixture(externalPostgresSpec)).data).toMatchObject({
      HERALD_STORE: "postgres",
      HERALD_POSTGRES_URL: "postgres://db.example:6432/events",
    });
  });

  it("never holds a credential", () => {
    const data = JSON.stringify(renderBrokerConfigMap(brokerFixture(managedPostgresSpec)).data);
    expect(data).not.toMatch(/PASSWORD|PGUSER|s3cret/);
  });

  it("states expiry bounds only when set", () => {
    const data = renderBrokerConfigMap(
      brokerFixture({ retention: { defaultExpirationSeconds: 60, maxExpirationSeconds: 600 } }),
    ).data;
    expect(data).toMatchObject({
      HERALD_DEFAULT_EXPIRATION_SECONDS: "60",
      HERALD_MAX_EXPIRATION_SECONDS: "600",
    });
    expect(renderBrokerConfigMap(brokerFixture()).data).not.toHaveProperty(
      "HERALD_MAX_EXPIRATION_SECONDS",
    );
  });

  it("leaves part of the termination grace period for the process to exit", () => {
    const data = renderBrokerConfigMap(
      brokerFixture({ podTemplate: { terminationGracePeriodSeconds: 60 } }),
    ).data;
    expect(data?.HERALD_SHUTDOWN_GRACE_MS).toBe("48000");
  });
});
