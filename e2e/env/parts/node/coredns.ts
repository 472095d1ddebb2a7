import { join } from "node:path";
import { cacheDir } from "../../../../testing/paths.ts";
import { ensureGoBinary, goInstallArgs } from "../kube/go-build.ts";
import { paths } from "./layout.ts";

/** The CoreDNS release Kubernetes 1.32 ships with. */
export const COREDNS_VERSION = "v1.11.3";

/** CoreDNS built from the Go module proxy (`go install`, outside the wrapper: its own go.mod). */
export function corednsBinary(): Promise<string> {
  return ensureGoBinary({
    part: "node",
    name: "coredns",
    envVar: "HERALD_COREDNS",
    binDir: join(cacheDir, `coredns-${COREDNS_VERSION}`, "bin"),
    logFile: paths.buildLog,
    goArgs: () => goInstallArgs(`github.com/coredns/coredns@${COREDNS_VERSION}`),
    standalone: true,
    expectVersion: COREDNS_VERSION.replace(/^v/, ""),
    versionArgs: ["-version"],
    needsWrapperModules: false,
  });
}
