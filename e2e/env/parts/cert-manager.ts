import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { freePort } from "../../../testing/free-port.ts";
import { cacheDir, partDir } from "../../../testing/paths.ts";
import type { TestEnv } from "../../../testing/test-env.ts";
import { ensureDir, readPid, startDaemon, stopDaemon, waitUntil } from "../daemon.ts";
import type { Part } from "../part.ts";
import { crdTemplates, renderCrd } from "./cert-manager/crds.ts";
import { install } from "./cert-manager/install.ts";
import { ensureGoBinary, goBuildArgs, moduleSourceDir, requiredVersions } from "./kube/go-build.ts";
import { probe } from "./kube/probe.ts";

/**
 * The cert-manager controller against the test API server, built from the Go
 * module proxy through its own wrapper module (e2e/env/cert-manager-build),
 * with cert-manager's CRDs server-side applied from the same module version.
 * Only the controllers that the CA and SelfSigned issuers need run; there is
 * no webhook or cainjector (see the wrapper's main.go).
 */
const part = "cert-manager";
const host = "127.0.0.1";
const module = "github.com/cert-manager/cert-manager";
const buildDir = resolve(import.meta.dirname, "../cert-manager-build");
/** Where the Secrets of ClusterIssuers live (cert-manager's default name). */
const clusterResourceNamespace = "cert-manager";

const dir = partDir(part);
const spec = {
  part,
  pidFile: join(dir, "controller.pid"),
  logFile: join(dir, "controller.log"),
};
const buildLog = join(dir, "build.log");
/** The ports the running controller was given, so a later `up` can report them. */
const listenFile = join(dir, "listen.json");
const Listen = z.object({ metricsPort: z.number().int(), healthzPort: z.number().int() });
type Listen = z.infer<typeof Listen>;

/** The certificates-* controllers, the issuers' and the CertificateRequest approver and signers. */
const controllers = [
  "issuers",
  "clusterissuers",
  "certificates-trigger",
  "certificates-issuing",
  "certificates-key-manager",
  "certificates-request-manager",
  "certificates-readiness",
  "certificates-revision-manager",
  "certificaterequests-approver",
  "certificaterequests-issuer-ca",
  "certificaterequests-issuer-selfsigned",
];

async function version(): Promise<string> {
  const [v = ""] = await requiredVersions(part, buildDir, [module]);
  return v;
}

function controllerBinary(v: string): Promise<string> {
  return ensureGoBinary({
    part,
    name: "cert-manager-controller",
    envVar: "HERALD_CERT_MANAGER_CONTROLLER",
    binDir: join(cacheDir, `cert-manager-${v}`, "bin"),
    logFile: buildLog,
    // The stamp cert-manager's release builds set; it also names the user agent.
    goArgs: (out) => goBuildArgs(out, ".", { [`${module}/pkg/util.AppVersion`]: v }),
    expectVersion: v,
    needsWrapperModules: true,
    moduleDir: buildDir,
  });
}

async function installCrds(kubeconfig: string, v: string): Promise<void> {
  const templates = await crdTemplates(join(cacheDir, `cert-manager-${v}`, "crds"), () =>
    moduleSourceDir(part, buildDir, module, buildLog),
  );
  await install(kubeconfig, templates.map(renderCrd), [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: clusterResourceNamespace } },
  ]);
}

function controllerArgs(kubeconfig: string, listen: Listen): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--cluster-resource-namespace=${clusterResourceNamespace}`,
    `--controllers=${controllers.join(",")}`,
    `--metrics-listen-address=${host}:${listen.metricsPort}`,
    `--healthz-listen-address=${host}:${listen.healthzPort}`,
    "--v=2",
  ];
}

async function runningListen(): Promise<Listen | undefined> {
  const text = await readFile(listenFile, "utf8").catch(() => undefined);
  const parsed = text === undefined ? undefined : Listen.safeParse(JSON.parse(text));
  return parsed?.success ? parsed.data : undefined;
}

export const certManagerPart = (
  kube: Pick<TestEnv["kube"], "kubeconfig">,
): Part<TestEnv["certManager"]> => ({
  name: part,

  async up() {
    await ensureDir(dir);
    const v = await version();
    await installCrds(kube.kubeconfig, v);

    let pid = await readPid(spec.pidFile);
    let listen = pid === undefined ? undefined : await runningListen();
    if (pid === undefined || listen === undefined) {
      // A controller whose ports are unknown cannot be reported; start afresh.
      await stopDaemon(spec.pidFile);
      const bin = await controllerBinary(v);
      listen = { metricsPort: await freePort(), healthzPort: await freePort() };
      await writeFile(listenFile, `${JSON.stringify(listen)}\n`);
      pid = await startDaemon({ ...spec, cmd: bin, args: controllerArgs(kube.kubeconfig, listen) });
    }
    const healthzUrl = `http://${host}:${listen.healthzPort}/livez`;
    await waitUntil(spec, "live (GET /livez)", () => probe(healthzUrl), 60_000);
    return {
      version: v,
      pid,
      logFile: spec.logFile,
      metricsUrl: `http://${host}:${listen.metricsPort}/metrics`,
      clusterResourceNamespace,
    };
  },

  async down() {
    await stopDaemon(spec.pidFile);
  },
});
