import type { V1Container } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { renderPostgresSecret } from "./postgres-secret.ts";
import { renderPostgresService } from "./postgres-service.ts";
import { renderPostgresStatefulSet } from "./postgres-statefulset.ts";
import { brokerFixture, contextFixture, managedPostgresSpec } from "../test/fixtures.ts";

const decode = (data: Record<string, string> | undefined) =>
  Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]),
  );

describe("managed PostgreSQL", () => {
  const broker = brokerFixture({
    ...managedPostgresSpec,
    deletionPolicy: "Delete",
    storage: {
      type: "postgres",
      postgres: { managed: { storage: "20Gi", storageClassName: "fast", version: "16" } },
    },
  });

  describe("renderPostgresSecret", () => {
    it("holds the password it is given, so a re-render never rotates it", () => {
      const secret = renderPostgresSecret(broker, contextFixture({ postgresPassword: "kept" }));
      expect(secret.metadata?.name).toBe("orders-postgres-credentials");
      expect(decode(secret.data)).toEqual({
        username: "herald",
        password: "kept",
        database: "herald",
      });
    });

    it("refuses to render without a password rather than invent one", () => {
      expect(() =>
        renderPostgresSecret(broker, contextFixture({ postgresPassword: undefined })),
      ).toThrow("ctx.postgresPassword");
    });
  });

  it("renderPostgresService exposes port 5432 of the PostgreSQL pod", () => {
    const service = renderPostgresService(broker);
    expect(service.metadata?.name).toBe("orders-postgres");
    expect(service.spec?.selector).toEqual({
      "app.kubernetes.io/name": "postgresql",
      "app.kubernetes.io/instance": "orders",
    });
    expect(service.spec?.ports).toEqual([
      { name: "postgres", port: 5432, targetPort: "postgres", protocol: "TCP" },
    ]);
  });

  describe("renderPostgresStatefulSet", () => {
    const sts = renderPostgresStatefulSet(broker, contextFixture());
    const container = sts.spec?.template.spec?.containers[0] as V1Container;

    it("runs the requested version on a volume of the requested size and class", () => {
      expect(container.image).toBe("postgres:16");
      expect(sts.spec?.volumeClaimTemplates?.[0]?.spec).toEqual({
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: "20Gi" } },
        storageClassName: "fast",
      });
    });

    it("applies deletionPolicy to its volumes through the StatefulSet retention policy", () => {
      expect(sts.spec?.persistentVolumeClaimRetentionPolicy).toEqual({
        whenDeleted: "Delete",
        whenScaled: "Retain",
      });
    });

    it("takes its credentials from the generated Secret", () => {
      expect(container.env).toContainEqual({
        name: "POSTGRES_PASSWORD",
        valueFrom: { secretKeyRef: { name: "orders-postgres-credentials", key: "password" } },
      });
      expect(JSON.stringify(sts)).not.toContain("s3cret-password");
    });

    it("runs as the postgres user on a read-only root filesystem, with writable socket and tmp dirs", () => {
      expect(sts.spec?.template.spec?.securityContext).toMatchObject({
        runAsUser: 999,
        fsGroup: 999,
        runAsNonRoot: true,
      });
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(container.volumeMounts?.map((m) => m.mountPath)).toEqual([
        "/var/lib/postgresql/data",
        "/var/run/postgresql",
        "/tmp",
      ]);
      expect(container.env).toContainEqual({
        name: "PGDATA",
        value: "/var/lib/postgresql/data/pgdata",
      });
    });

    it("is ready when pg_isready says so", () => {
      expect(container.readinessProbe?.exec?.command?.[0]).toBe("pg_isready");
    });
  });
});
