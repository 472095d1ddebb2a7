import { afterEach, expect, test, vi } from "vitest";
import { EnvError } from "../../../../testing/env-error.ts";
import { ensureGoBinary, goBuildArgs, kubeVersionStamps, wrapperVersions } from "./go-build.ts";

afterEach(() => {
  vi.unstubAllEnvs();
});

test("versions come from the wrapper module's go.mod", async () => {
  const v = await wrapperVersions();
  expect(v.kube).toMatch(/^v1\.32\.\d+$/);
  expect(v.etcd).toMatch(/^v3\.5\.\d+$/);
});

test("Kubernetes binaries are stamped in both version packages", () => {
  const stamps = kubeVersionStamps("v1.32.13", "2026-02-27T00:14:55Z");
  for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
    expect(stamps[`${pkg}.gitVersion`]).toBe("v1.32.13");
    expect(stamps[`${pkg}.gitMajor`]).toBe("1");
    expect(stamps[`${pkg}.gitMinor`]).toBe("32");
    expect(stamps[`${pkg}.buildDate`]).toBe("2026-02-27T00:14:55Z");
  }
  const args = goBuildArgs("/out/x", "k8s.io/kubernetes/cmd/x", stamps);
  expect(args.slice(0, 3)).toEqual(["build", "-p", "2"]);
  expect(args.at(-1)).toBe("k8s.io/kubernetes/cmd/x");
  expect(args[args.indexOf("-ldflags") + 1]).toContain(
    "-X 'k8s.io/component-base/version.gitVersion=v1.32.13'",
  );
});

test("a HERALD_* override that is not executable fails with one line naming the variable", async () => {
  vi.stubEnv("HERALD_ETCD", "/nonexistent/etcd");
  const attempt = ensureGoBinary({
    part: "etcd",
    name: "etcd",
    envVar: "HERALD_ETCD",
    binDir: "/nonexistent/bin",
    logFile: "/nonexistent/build.log",
    goArgs: () => [],
    expectVersion: "3.5",
    needsWrapperModules: false,
  });
  await expect(attempt).rejects.toBeInstanceOf(EnvError);
  await expect(attempt).rejects.toThrow(
    /^etcd: HERALD_ETCD=\/nonexistent\/etcd is not an executable file — [^\n]+$/,
  );
});

test("an override that is executable is used as is, without a build", async () => {
  vi.stubEnv("HERALD_HELM", process.execPath);
  const path = await ensureGoBinary({
    part: "kube",
    name: "helm",
    envVar: "HERALD_HELM",
    binDir: "/nonexistent/bin",
    logFile: "/nonexistent/build.log",
    goArgs: () => {
      throw new Error("must not build");
    },
    expectVersion: "v3",
    needsWrapperModules: false,
  });
  expect(path).toBe(process.execPath);
});
