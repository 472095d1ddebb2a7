import { expect, test } from "vitest";
import { renderCrd } from "./crds.ts";

// The shape of cert-manager's deploy/crds files: Helm conditionals in YAML
// comments, templated label values.
const template = `# START crd {{- if or .Values.crds.enabled .Values.installCRDs }}
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: issuers.cert-manager.io
  # START annotations {{- if .Values.crds.keep }}
  annotations:
    helm.sh/resource-policy: keep
  # END annotations {{- end }}
  labels:
    app: '{{ template "cert-manager.name" . }}'
    app.kubernetes.io/instance: '{{ .Release.Name }}'
    # Generated labels {{- include "labels" . | nindent 4 }}
spec:
  group: cert-manager.io
  scope: Namespaced
# END crd {{- end }}
`;

test("the chart's template lines are dropped and the labels get the chart's rendered names", () => {
  const crd = renderCrd(template);
  expect(crd.metadata).toEqual({
    name: "issuers.cert-manager.io",
    annotations: { "helm.sh/resource-policy": "keep" },
    labels: { app: "cert-manager", "app.kubernetes.io/name": "cert-manager" },
  });
  expect(crd.spec).toEqual({ group: "cert-manager.io", scope: "Namespaced" });
});

test("a document that is not a cert-manager CRD is refused", () => {
  expect(() =>
    renderCrd(template.replace("issuers.cert-manager.io", "issuers.example.com")),
  ).toThrow();
});
