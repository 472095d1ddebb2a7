import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { MessageBrokerSpecInput } from "../api/v1alpha1/index.ts";
import type { Certificate } from "./certificate.ts";
import { certificateSkipped, renderChildren, serviceMonitorSkipped } from "./index.ts";
import {
  brokerFixture,
  contextFixture,
  externalPostgresSpec,
  managedCassandraSpec,
  managedPostgresSpec,
  plaintextSpec,
} from "../test/fixtures.ts";

const kinds = (children: KubernetesObject[]) =>
  children.map((c) => `${c.kind}/${c.metadata?.name}`);
const render = (spec: MessageBrokerSpecInput, ctx = contextFixture()) =>
  renderChildren(brokerFixture(spec), ctx);

const brokerChildren = [
  "ServiceAccount/orders-broker",
  "Role/orders-broker",
  "RoleBinding/orders-broker",
  "ConfigMap/orders-config",
  "ConfigMap/orders-membership",
  "Secret/orders-ca",
  "Secret/orders-tls",
  "Secret/orders-auth",
];
const brokerWorkload = [
  "Service/orders-headless",
  "Service/orders",
  "StatefulSet/orders",
  "PodDisruptionBudget/orders",
  "NetworkPolicy/orders",
];

describe("renderChildren", () => {
  it("renders a memory broker's footprint, identity and config before the pods", () => {
    expect(kinds(render({}))).toEqual([...brokerChildren, ...brokerWorkload]);
  });

  it("adds the managed PostgreSQL before the brokers that need it", () => {
    expect(kinds(render(managedPostgresSpec))).toEqual([
      ...brokerChildren,
      "Secret/orders-postgres-credentials",
      "Service/orders-postgres",
      "StatefulSet/orders-postgres",
      "NetworkPolicy/orders-storage",
      ...brokerWorkload,
    ]);
  });

  it("adds the managed Cassandra ring", () => {
    expect(kinds(render(managedCassandraSpec))).toEqual([
      ...brokerChildren,
      "Service/orders-cassandra",
      "StatefulSet/orders-cassandra",
      "NetworkPolicy/orders-storage",
      ...brokerWorkload,
    ]);
  });

  it("adds nothing for an external store", () => {
    expect(kinds(render(externalPostgresSpec))).toEqual([...brokerChildren, ...brokerWorkload]);
  });

  it("renders no certificate or auth file for a plaintext broker", () => {
    expect(kinds(render(plaintextSpec))).toEqual([
      ...brokerChildren.filter((child) => !child.startsWith("Secret/")),
      ...brokerWorkload,
    ]);
  });

  it("asks cert-manager for the certificate with an issuerRef, once its CRD exists", () => {
    const issued = { tls: { issuerRef: { name: "cluster-ca" } } };
    const children = render(issued);
    expect(kinds(children)).toContain("Certificate/orders-tls");
    expect(kinds(children)).not.toContain("Secret/orders-ca");
    const certificate = children.find((child) => child.kind === "Certificate");
    expect(certificate).toMatchObject({
      spec: {
        secretName: "orders-tls",
        issuerRef: { name: "cluster-ca", kind: "Issuer", group: "cert-manager.io" },
        usages: ["digital signature", "server auth", "client auth"],
        secretTemplate: { labels: { "app.kubernetes.io/managed-by": "herald-operator" } },
      },
    });
    const { dnsNames } = (certificate as Certificate).spec;
    expect(dnsNames).toContain("orders.shop.svc");
    expect(dnsNames).toContain("*.orders-headless.shop.svc.cluster.local");
    const withoutCrd = contextFixture({ certManagerInstalled: false });
    expect(kinds(render(issued, withoutCrd))).not.toContain("Certificate/orders-tls");
    expect(certificateSkipped(brokerFixture(issued), withoutCrd)).toBe(true);
    expect(certificateSkipped(brokerFixture(), withoutCrd)).toBe(false);
  });

  it("renders no certificate for the user's own Secret", () => {
    const own = kinds(render({ tls: { secretName: "my-tls" } }));
    expect(own.filter((child) => child.startsWith("Secret/") || child.startsWith("Cert"))).toEqual([
      "Secret/orders-auth",
    ]);
  });

  it("publishes the API server's keys once the operator knows the issuer", () => {
    const issuer = { issuer: "https://kubernetes.default.svc", jwks: '{"keys":[]}' };
    const children = render({}, contextFixture({ serviceAccountIssuer: issuer }));
    expect(children.find((child) => child.metadata?.name === "orders-jwks")).toMatchObject({
      kind: "ConfigMap",
      data: { "jwks.json": '{"keys":[]}' },
    });
  });

  it("adds the Envoy ConfigMap with rate limiting", () => {
    expect(kinds(render({ rateLimit: { enabled: true } }))).toContain("ConfigMap/orders-envoy");
  });

  it("adds the ServiceMonitor only when asked for and its CRD exists", () => {
    const monitored = { monitoring: { serviceMonitor: { enabled: true } } };
    expect(kinds(render(monitored))).toContain("ServiceMonitor/orders");
    const withoutCrd = contextFixture({ serviceMonitorCrdInstalled: false });
    expect(kinds(render(monitored, withoutCrd))).not.toContain("ServiceMonitor/orders");
    expect(serviceMonitorSkipped(brokerFixture(monitored), withoutCrd)).toBe(true);
    expect(serviceMonitorSkipped(brokerFixture(), withoutCrd)).toBe(false);
    expect(kinds(render({}))).not.toContain("ServiceMonitor/orders");
  });

  it("gives every child the broker's namespace, standard labels and controller owner reference", () => {
    const everything = render({
      ...managedPostgresSpec,
      rateLimit: { enabled: true },
      monitoring: { serviceMonitor: { enabled: true } },
    });
    for (const child of everything) {
      const name = `${child.kind}/${child.metadata?.name}`;
      expect(child.apiVersion, name).toBeTruthy();
      expect(child.metadata?.namespace, name).toBe("shop");
      expect(child.metadata?.labels, name).toMatchObject({
        "app.kubernetes.io/instance": "orders",
        "app.kubernetes.io/managed-by": "herald-operator",
        "app.kubernetes.io/part-of": "herald",
      });
      expect(child.metadata?.ownerReferences, name).toEqual([
        expect.objectContaining({
          kind: "MessageBroker",
          name: "orders",
          controller: true,
          blockOwnerDeletion: true,
        }),
      ]);
    }
    expect(new Set(kinds(everything)).size).toBe(everything.length);
  });

  it("is pure: the same inputs give the same children", () => {
    const ctx = contextFixture();
    expect(renderChildren(brokerFixture(managedPostgresSpec), ctx)).toEqual(
      renderChildren(brokerFixture(managedPostgresSpec), ctx),
    );
  });
});
