import type { V1Deployment, V1Secret, V1Service } from "@kubernetes/client-node";
import { expect, test } from "vitest";
import { postgres, postgresHost, renderPostgres } from "./postgres.ts";

const render = () => {
  const [secret, deployment, service] = renderPostgres({ namespace: "e2e-1", password: "pw" })
    .items as [V1Secret, V1Deployment, V1Service];
  return { secret, deployment, service };
};

test("the credentials Secret has the keys a MessageBroker's credentialsSecret reads by default", () => {
  const { secret } = render();
  expect(secret.metadata).toEqual({ name: postgres.credentialsSecret, namespace: "e2e-1" });
  expect(secret.stringData).toEqual({ username: "herald", password: "pw" });
});

test("PostgreSQL takes its user and password from that Secret and creates the database", () => {
  const container = render().deployment.spec?.template.spec?.containers[0];
  expect(container?.image).toBe("postgres:17");
  expect(container?.env).toEqual([
    {
      name: "POSTGRES_USER",
      valueFrom: { secretKeyRef: { name: postgres.credentialsSecret, key: "username" } },
    },
    {
      name: "POSTGRES_PASSWORD",
      valueFrom: { secretKeyRef: { name: postgres.credentialsSecret, key: "password" } },
    },
    { name: "POSTGRES_DB", value: "herald" },
    { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
  ]);
  // Ready only once the server listens on TCP, not while the image's init runs on the socket.
  expect(container?.readinessProbe?.exec?.command).toContain("127.0.0.1");
});

test("the Service selects the pods and exposes 5432 at the host the brokers are given", () => {
  const { deployment, service } = render();
  expect(service.spec?.selector).toEqual(deployment.spec?.template.metadata?.labels);
  expect(deployment.spec?.selector.matchLabels).toEqual(deployment.spec?.template.metadata?.labels);
  const containerPort = deployment.spec?.template.spec?.containers[0]?.ports?.[0];
  expect(service.spec?.ports?.[0]).toMatchObject({ port: 5432, targetPort: containerPort?.name });
  expect(postgresHost("e2e-1")).toBe(`${service.metadata?.name}.e2e-1.svc.cluster.local`);
});

test("PostgreSQL passes the restricted Pod Security Standard: non-root, no capabilities, read-only root", () => {
  const pod = render().deployment.spec?.template.spec;
  expect(pod?.securityContext).toMatchObject({
    runAsNonRoot: true,
    runAsUser: 999,
    seccompProfile: { type: "RuntimeDefault" },
  });
  expect(pod?.containers[0]?.securityContext).toMatchObject({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  });
  expect(pod?.volumes?.map((v) => v.name)).toEqual(["data", "run", "tmp"]);
});
