// The values `make e2e-kind` installs the chart with, rendered by the real chart and helm.
import { expect, inject, test } from "vitest";
import { chartDir, describeFailure, helm, kubeVersion, parseManifests } from "../chart/tools.ts";
import { helmImageValues } from "./commands.ts";
import { operatorRelease, operatorSelector } from "./settings.ts";

interface OperatorPodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    containers: {
      image: string;
      imagePullPolicy: string;
      env: { name: string; value?: string }[];
    }[];
  };
}

test("the operator runs the loaded e2e image, never pulled, and gives brokers the e2e image", async () => {
  const result = await helm(inject("testEnv"), [
    "template",
    operatorRelease.name,
    chartDir,
    `--namespace=${operatorRelease.namespace}`,
    `--kube-version=${kubeVersion}`,
    ...helmImageValues(),
  ]);
  expect(result.code, describeFailure("helm template", result)).toBe(0);
  const deployment = parseManifests(result.stdout).find((m) => m.kind === "Deployment");
  const template = (deployment?.spec as { template: OperatorPodTemplate }).template;
  const [container] = template.spec.containers;
  expect(container?.image).toBe("herald-operator:e2e");
  expect(container?.imagePullPolicy).toBe("Never");
  expect(container?.env).toContainEqual({
    name: "HERALD_BROKER_IMAGE",
    value: "herald-broker:e2e",
  });
  // killOperator finds the operator pods by this selector.
  for (const pair of operatorSelector.split(",")) {
    const [key = "", value] = pair.split("=");
    expect(template.metadata.labels[key]).toBe(value);
  }
});
