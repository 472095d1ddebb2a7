/**
 * A pod's volumes as directories on the host, bind-mounted into its processes' sandboxes.
 * Supported: emptyDir, configMap, secret, downwardAPI and projected volumes, including the
 * service-account token volume the API server adds to every pod (kube-api-access-*): the token
 * is minted with the TokenRequest API, bound to the pod, and renewed at 80% of its lifetime as
 * the kubelet does. Volumes of other kinds are left out, with a warning.
 */
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fieldValue, type PodFacts } from "./env.ts";
import type { PodApi } from "./kube-api.ts";
import type { Container, Volume } from "./pod-schema.ts";
import type { BindMount } from "./sandbox.ts";

/** Where in-cluster clients look for their token, CA and namespace. */
export const serviceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The kubelet renews a projected token once 80% of its lifetime has passed. */
const renewShare = 0.8;

type Files = Map<string, string>;

interface VolumeContent {
  /** Undefined for scratch space (emptyDir): created once, then the containers' own. */
  files?: Files;
  /** When a token in it should be renewed. */
  renewAt?: number;
}

export interface VolumeState {
  /** The next time the volumes must be written again (token renewal), if any. */
  renewAt: number | undefined;
  warnings: string[];
}

/** Thrown when a volume cannot be written yet (a missing ConfigMap, a failed TokenRequest). */
export class VolumeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VolumeError";
  }
}

interface KeyedSource {
  name: string;
  items?: readonly { key: string; path: string }[] | undefined;
  optional?: boolean | undefined;
}

/** Writes and rewrites a pod's volumes under `podDir`. */
export class PodVolumes {
  readonly #currentFacts: () => PodFacts;
  readonly #api: PodApi;
  readonly #root: string;

  /** `facts` gives the latest pod, so rewritten downward-API files follow label changes. */
  constructor(facts: () => PodFacts, api: PodApi, podDir: string) {
    this.#currentFacts = facts;
    this.#api = api;
    this.#root = join(podDir, "volumes");
  }

  get #facts(): PodFacts {
    return this.#currentFacts();
  }

  dirOf(volume: string): string {
    return join(this.#root, volume);
  }

  /** Writes every volume the runnable containers mount; throws VolumeError while one cannot be. */
  async write(containers: readonly Container[]): Promise<VolumeState> {
    const mounted = new Set(
      containers.flatMap((container) => (container.volumeMounts ?? []).map((m) => m.name)),
    );
    const warnings: string[] = [];
    let renewAt: number | undefined;
    for (const volume of this.#facts.pod.spec.volumes ?? []) {
      if (!mounted.has(volume.name)) continue;
      const content = await this.#content(volume);
      if (!content) {
        warnings.push(`volume ${volume.name}: this kind of volume is not supported; not mounted`);
        continue;
      }
      const dir = this.dirOf(volume.name);
      if (content.files) await this.#sync(dir, content.files);
      else await mkdir(dir, { recursive: true });
      if (content.renewAt !== undefined) renewAt = Math.min(renewAt ?? Infinity, content.renewAt);
    }
    return { renewAt, warnings };
  }

  /** The bind mounts of one container, creating missing mount points under /var/run/secrets only. */
  async mountsOf(container: Container): Promise<{ mounts: BindMount[]; warnings: string[] }> {
    const volumes = new Set((this.#facts.pod.spec.volumes ?? []).map((volume) => volume.name));
    const mounts: BindMount[] = [];
    const warnings: string[] = [];
    for (const mount of container.volumeMounts ?? []) {
      const source = this.dirOf(mount.name);
      if (!volumes.has(mount.name) || !(await isDirectory(source))) continue;
      if (mount.subPath) {
        warnings.push(`mount ${mount.mountPath}: subPath is not supported; not mounted`);
        continue;
      }
      if (mount.mountPath.startsWith("/var/run/secrets/")) {
        await mkdir(mount.mountPath, { recursive: true });
      } else if (!(await isDirectory(mount.mountPath))) {
        warnings.push(`mount ${mount.mountPath}: no such directory on the host; not mounted`);
        continue;
      }
      mounts.push({ source, target: mount.mountPath, readOnly: mount.readOnly ?? false });
    }
    return { mounts, warnings };
  }

  async remove(): Promise<void> {
    await rm(this.#root, { recursive: true, force: true });
  }

  async #content(volume: Volume): Promise<VolumeContent | undefined> {
    if (volume.emptyDir) return {};
    if (volume.configMap)
      return { files: new Map(await this.#keyed("configmap", volume.configMap)) };
    if (volume.secret) {
      const { secretName = "", ...rest } = volume.secret;
      return { files: new Map(await this.#keyed("secret", { name: secretName, ...rest })) };
    }
    if (volume.downwardAPI) return { files: this.#downward(volume.downwardAPI.items ?? []) };
    if (volume.projected) return this.#projected(volume.projected.sources ?? []);
    return undefined;
  }

  /** A ConfigMap's or Secret's keys as [path, content]: all of them, or the listed items. */
  async #keyed(kind: "configmap" | "secret", source: KeyedSource): Promise<[string, string][]> {
    const { namespace } = this.#facts.pod.metadata;
    const what = `${kind} "${source.name}"`;
    const data = await (kind === "configmap"
      ? this.#api.readConfigMap(namespace, source.name)
      : this.#api.readSecret(namespace, source.name));
    if (!data) {
      if (source.optional) return [];
      throw new VolumeError(`${what} not found`);
    }
    if (!source.items) return Object.entries(data);
    return source.items.map(({ key, path }) => {
      const value = data[key];
      if (value === undefined) throw new VolumeError(`${what}: no key ${key}`);
      return [path, value];
    });
  }

  #downward(items: readonly { path: string; fieldRef?: { fieldPath: string } }[]): Files {
    const files: Files = new Map();
    for (const item of items) {
      if (item.fieldRef) files.set(item.path, fieldValue(item.fieldRef.fieldPath, this.#facts));
    }
    return files;
  }

  async #projected(
    sources: NonNullable<NonNullable<Volume["projected"]>["sources"]>,
  ): Promise<VolumeContent> {
    const { pod } = this.#facts;
    const files: Files = new Map();
    let renewAt: number | undefined;
    for (const source of sources) {
      if (source.serviceAccountToken) {
        const { path, audience, expirationSeconds = 3600 } = source.serviceAccountToken;
        const serviceAccount = pod.spec.serviceAccountName ?? "default";
        const issuedAt = Date.now();
        const minted = await this.#api
          .requestToken(pod.metadata, serviceAccount, { audience, expirationSeconds })
          .catch((err: unknown) => {
            const reason = err instanceof Error ? err.message : String(err);
            throw new VolumeError(`token for service account ${serviceAccount}: ${reason}`);
          });
        files.set(path, minted.token);
        const due = issuedAt + (minted.expiresAt.getTime() - issuedAt) * renewShare;
        renewAt = Math.min(renewAt ?? Infinity, due);
      }
      const entries = [
        ...(source.configMap ? await this.#keyed("configmap", source.configMap) : []),
        ...(source.secret ? await this.#keyed("secret", source.secret) : []),
        ...(source.downwardAPI ? this.#downward(source.downwardAPI.items ?? []) : []),
      ];
      for (const [path, value] of entries) files.set(path, value);
    }
    return { files, renewAt };
  }

  /**
   * Makes `dir` hold exactly `files`. Each file is replaced by a rename, so a process reading
   * its token never sees half of one; the directory itself stays, since it is bind-mounted.
   */
  async #sync(dir: string, files: Files): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    for (const [path, content] of files) {
      const target = join(dir, path);
      await mkdir(dirname(target), { recursive: true });
      const draft = join(dirname(target), `..${process.pid}.tmp`);
      await writeFile(draft, content, { mode: 0o644 });
      await rename(draft, target);
    }
    const wanted = new Set([...files.keys()].map((path) => path.split("/")[0]));
    for (const entry of await readdir(dir)) {
      if (!wanted.has(entry)) await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
