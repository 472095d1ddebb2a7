import { readFile, writeFile } from "node:fs/promises";
import { stringify } from "yaml";

/** A kubeconfig for one bearer-token user of the API server at `server`. */
export function kubeconfig(server: string, user: string, token: string, caPem: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "herald",
        cluster: {
          server,
          "certificate-authority-data": Buffer.from(caPem).toString("base64"),
        },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: "herald", context: { cluster: "herald", user, namespace: "default" } }],
    "current-context": "herald",
  });
}

/** Write `content` unless the file already holds it (running daemons keep their inputs). */
export async function writeIfChanged(path: string, content: string, mode = 0o600): Promise<void> {
  const current = await readFile(path, "utf8").catch(() => undefined);
  if (current !== content) await writeFile(path, content, { mode });
}
