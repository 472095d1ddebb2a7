/** The tools `make e2e-kind` needs on PATH, each with how to get it. */
import { have } from "../../testing/run.ts";

const tools = [
  {
    name: "docker",
    install: "install Docker Engine (Debian: apt-get install docker.io) and start it",
  },
  {
    name: "kind",
    install: "go install sigs.k8s.io/kind@v0.33.0, or a release binary per kind's quick start",
  },
  { name: "kubectl", install: "install kubectl 1.30 or newer (Kubernetes docs, 'Install Tools')" },
  { name: "helm", install: "install Helm 3 (Helm docs, 'Installing Helm')" },
] as const;

const missingToolMessage = (tool: (typeof tools)[number]): string =>
  `make e2e-kind: ${tool.name} is not on PATH — ${tool.install}`;

/** One line per missing tool; empty when everything is there. */
export async function missingTools(): Promise<string[]> {
  const found = await Promise.all(tools.map((tool) => have(tool.name)));
  return tools.filter((_, i) => !found[i]).map(missingToolMessage);
}
