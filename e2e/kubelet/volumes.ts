/**
 * A pod's volumes as directories on the host, bind-mounted into its processes' sandboxes.
 * Supported: emptyDir, configMap, secret, downwardAPI and projected volumes, including the
 * service-account token volume the API server adds to every pod (kube-api-access-*): the token
 * is minted with the TokenRequest API, bound to the pod, and renewed at 80% of its lifetime as
 * the kubelet does. Volumes of other kinds are left out, with a warning. Every write compares
 * with what is there and swaps in only the volumes whose content changed (atomic-writer.ts), so
 * rewriting after any change to a ConfigMap or Secret is cheap and quiet.
 */
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { writeAtomically, type Files } from "./atomic-writer.ts";
import { fieldValue, type PodFacts } from "./env.ts";
import type { PodApi } from "./kube-api.ts";
import type { Container, Volume } from "./pod-schema.ts";
import type { BindMount } from "./sandbox.ts";
import { mountedVolumes } from "./volume-sources.ts";

/** Where in-cluster clients look for their token, CA and namespace. */
export const serviceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The kubelet renews a projected token once 80% of its lifetime has passed. */
const renewShare = 0.8;

interface VolumeContent {
  /** Undefined for scratch space (emptyDir): created once, then the containers' own. */
  files?: Files;
  /** When a token in it should be renewed. */
  renewAt?: number;
}

export interface VolumeState {
  /** The next time the volumes must be written again (token renewal), if any. */
  renewAt: number | undefined;
  /** The volumes whose files this write changed. */
  updated: string[];
  warnings: string[];
}

/** Thrown when a volume cannot be written yet (a missing ConfigMap, a failed TokenRequest). */
export class VolumeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VolumeError";
  }
}

interface HeldToken {
  token: string;
  renewAt: number;
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
  /** Tokens by volume and path, kept until due for renewal: a rewrite for another reason keeps them. */
  readonly #tokens = new Map<string, HeldToken>();
  /** Writes run one at a time: the directory swaps of two would interleave. */
  #writing: Promise<unknown> = Promise.resolve();

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

  /**
   * Writes every volume the runnable containers mount, renewing tokens due by `now`; throws
   * VolumeError while one cannot be written, leaving the volumes as they were.
   */
  write(containers: readonly Container[], now: number): Promise<VolumeState> {
    const done = this.#writing.catch(() => undefined).then(() => this.#write(containers, now));
    this.#writing = done;
    return done;
  }

  async #write(containers: readonly Container[], now: number): Promise<VolumeState> {
    const warnings: string[] = [];
    const contents: [string, VolumeContent][] = [];
    for (const volume of mountedVolumes(this.#facts.pod.spec.volumes ?? [], containers)) {
      const content = await this.#content(volume, now);
      if (content) contents.push([volume.name, content]);
      else
        warnings.push(`volume ${volume.name}: this kind of volume is not supported; not mounted`);
    }
    // Written only once every volume could be read: a failure changes nothing.
    const updated: string[] = [];
    let renewAt: number | undefined;
    for (const [name, content] of contents) {
      const dir = this.dirOf(name);
      if (!content.files) await mkdir(dir, { recursive: true });
      else if (await writeAtomically(dir, content.files, 0o644)) updated.push(name);
      if (content.renewAt !== undefined) renewAt = Math.min(renewAt ?? Infinity, content.renewAt);
    }
    return { renewAt, updated, warnings };
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

  async #content(volume: Volume, now: number): Promise<VolumeContent | undefined> {
    if (volume.emptyDir) return {};
    if (volume.configMap)
      return { files: new Map(await this.#keyed("configmap", volume.configMap)) };
    if (volume.secret) {
      const { secretName = "", ...rest } = volume.secret;
      return { files: new Map(await this.#keyed("secret", { name: secretName, ...rest })) };
    }
    if (volume.downwardAPI) return { files: this.#downward(volume.downwardAPI.items ?? []) };
    if (volume.projected) return this.#projected(volume.name, volume.projected.sources ?? [], now);
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
    const files = new Map<string, string>();
    for (const item of items) {
      if (item.fieldRef) files.set(item.path, fieldValue(item.fieldRef.fieldPath, this.#facts));
    }
    return files;
  }

  async #projected(
    volumeName: string,
    sources: NonNullable<NonNullable<Volume["projected"]>["sources"]>,
    now: number,
  ): Promise<VolumeContent> {
    const files = new Map<string, string>();
    let renewAt: number | undefined;
    for (const source of sources) {
      if (source.serviceAccountToken) {
        const { path } = source.serviceAccountToken;
        const key = `${volumeName}/${path}`;
        let minted = this.#tokens.get(key);
        if (!minted || now >= minted.renewAt) {
          minted = await this.#mint(source.serviceAccountToken);
          this.#tokens.set(key, minted);
        }
        files.set(path, minted.token);
        renewAt = Math.min(renewAt ?? Infinity, minted.renewAt);
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

  /** A token bound to the pod, with when it is due for renewal. */
  async #mint({
    audience,
    expirationSeconds = 3600,
  }: {
    audience?: string | undefined;
    expirationSeconds?: number | undefined;
  }): Promise<HeldToken> {
    const { pod } = this.#facts;
    const serviceAccount = pod.spec.serviceAccountName ?? "default";
    const issuedAt = Date.now();
    const minted = await this.#api
      .requestToken(pod.metadata, serviceAccount, { audience, expirationSeconds })
      .catch((err: unknown) => {
        const reason = err instanceof Error ? err.message : String(err);
        throw new VolumeError(`token for service account ${serviceAccount}: ${reason}`);
      });
    const renewAt = issuedAt + (minted.expiresAt.getTime() - issuedAt) * renewShare;
    return { token: minted.token, renewAt };
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
