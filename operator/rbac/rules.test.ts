import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { alwaysOwnedKinds, optionalOwnedKinds } from "../kube/owned-kinds.ts";
import { apiVersionOf } from "../../lib/kube/resource-kind.ts";
import { renderChildren } from "../render/index.ts";
import { brokerFixture, contextFixture, managedPostgresSpec } from "../test/fixtures.ts";
import { rbacFile, rbacYaml } from "../../tools/rbac/rbac-file.ts";
import { clusterRules, leaderElectionRules, namespacedRules } from "./rules.ts";

const all = [...namespacedRules, ...clusterRules, ...leaderElectionRules];

function allows(group: string, resource: string, verb: string): boolean {
  return namespacedRules.some(
    (rule) =>
      rule.apiGroups?.includes(group) &&
      rule.resources?.includes(resource) &&
      rule.verbs.includes(verb),
  );
}

describe("operator RBAC", () => {
  it("is committed as generated for the chart (run `npm run rbac:generate`)", async () => {
    expect(await readFile(rbacFile, "utf8")).toBe(rbacYaml());
  });

  it("uses no wildcard and no privilege-escalating verb", () => {
    const granted = all.flatMap((rule) => [
      ...rule.verbs,
      ...(rule.resources ?? []),
      ...(rule.apiGroups ?? []),
    ]);
    expect(granted).not.toContain("*");
    expect(granted.filter((verb) => ["escalate", "bind", "impersonate"].includes(verb))).toEqual(
      [],
    );
  });

  it("covers every child it renders, each of a kind the controller watches", () => {
    const children = renderChildren(
      brokerFixture({
        ...managedPostgresSpec,
        rateLimit: { enabled: true },
        monitoring: { serviceMonitor: { enabled: true } },
      }),
      contextFixture(),
    );
    const watched = [...alwaysOwnedKinds, ...optionalOwnedKinds.map(({ kind }) => kind)];
    for (const child of children) {
      const kind = watched.find(
        (k) => apiVersionOf(k) === child.apiVersion && k.kind === child.kind,
      );
      expect(kind, `${child.apiVersion} ${child.kind} is watched`).toBeDefined();
      for (const verb of ["get", "list", "watch", "create", "patch", "delete"]) {
        expect(allows(kind?.group ?? "", kind?.plural ?? "", verb), `${verb} ${kind?.plural}`).toBe(
          true,
        );
      }
    }
  });

  it("holds what the brokers' Role grants, since RBAC refuses to grant more than one holds", () => {
    for (const verb of ["get", "list", "watch"]) expect(allows("", "configmaps", verb)).toBe(true);
  });

  it("reads only the optional kinds' CRDs and the ServiceAccount token issuer at cluster scope", () => {
    expect(clusterRules).toEqual([
      expect.objectContaining({
        resources: ["customresourcedefinitions"],
        resourceNames: ["servicemonitors.monitoring.coreos.com", "certificates.cert-manager.io"],
      }),
      {
        nonResourceURLs: ["/.well-known/openid-configuration", "/openid/v1/jwks"],
        verbs: ["get"],
      },
    ]);
  });

  it("reads MessageBrokerUsers and writes only their status", () => {
    for (const verb of ["get", "list", "watch"])
      expect(allows("herald.dev", "messagebrokerusers", verb)).toBe(true);
    for (const verb of ["create", "patch", "update", "delete"])
      expect(allows("herald.dev", "messagebrokerusers", verb)).toBe(false);
    expect(allows("herald.dev", "messagebrokerusers/status", "patch")).toBe(true);
  });
});
