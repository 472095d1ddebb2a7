/**
 * A container's environment as the kubelet builds it (pkg/kubelet/kubelet_pods.go
 * makeEnvironmentVariables): `envFrom` sources first, then `env` in order with `$(VAR)`
 * references expanded against what came before, then the service variables the container did
 * not define. Pure: the caller fetches the ConfigMaps and Secrets that `referencedObjects` names.
 */
import { isIP } from "node:net";
import { quantityValue } from "../../lib/kube/quantity.ts";
import type { Container, EnvVar, Pod } from "./pod-schema.ts";

/** What the downward API reads: the pod and the addresses the kubelet gave it. */
export interface PodFacts {
  pod: Pod;
  podIP: string;
  hostIP: string;
}

export interface EnvContext extends PodFacts {
  /** Data of the referenced ConfigMaps by name; a missing name means the ConfigMap does not exist. */
  configMaps: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Decoded data of the referenced Secrets by name; a missing name means it does not exist. */
  secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** KUBERNETES_SERVICE_HOST and friends; the container's own variables win over them. */
  serviceEnv: Readonly<Record<string, string>>;
  /** The node's allocatable resources: the value of a limit the container does not set. */
  nodeAllocatable: Readonly<Record<string, string>>;
}

/** What `resolveContainerEnv` returns besides the env: keys of envFrom sources it dropped. */
export interface ResolvedEnv {
  env: Record<string, string>;
  /** envFrom keys that are not valid variable names (the kubelet drops them with an event). */
  invalidKeys: string[];
}

/** A resolution failure: the kubelet reports CreateContainerConfigError with this message. */
export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvError";
  }
}

/** The ConfigMaps and Secrets a container's env refers to. */
export function referencedObjects(container: Container): {
  configMaps: string[];
  secrets: string[];
} {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) configMaps.add(source.configMapRef.name);
    if (source.secretRef) secrets.add(source.secretRef.name);
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (from?.configMapKeyRef) configMaps.add(from.configMapKeyRef.name);
    if (from?.secretKeyRef) secrets.add(from.secretKeyRef.name);
  }
  return { configMaps: [...configMaps], secrets: [...secrets] };
}

/** validation.IsEnvVarName: the names an envFrom key may become. */
const envVarName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Throws EnvError for what the kubelet refuses to start a container with. */
export function resolveContainerEnv(container: Container, ctx: EnvContext): ResolvedEnv {
  const { namespace } = ctx.pod.metadata;
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  const invalidKeys: string[] = [];

  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    if (!ref) continue;
    const isConfigMap = source.configMapRef !== undefined;
    const data = (isConfigMap ? ctx.configMaps : ctx.secrets).get(ref.name);
    if (!data) {
      if (ref.optional) continue;
      throw new EnvError(`${isConfigMap ? "configmap" : "secret"} "${ref.name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) {
      const name = (source.prefix ?? "") + key;
      if (envVarName.test(name)) env[name] = value;
      else invalidKeys.push(name);
    }
  }

  // References see the variables defined so far, then the service variables.
  const lookup = mappingFor(env, ctx.serviceEnv);
  for (const variable of container.env ?? []) {
    const value = variable.value
      ? expand(variable.value, lookup)
      : variable.valueFrom
        ? valueFrom(variable, container, ctx, namespace)
        : "";
    // An optional reference to something missing leaves the variable unset.
    if (value !== undefined) env[variable.name] = value;
  }

  const result = { ...env };
  for (const [name, value] of Object.entries(ctx.serviceEnv)) {
    if (!Object.hasOwn(env, name)) result[name] = value;
  }
  return { env: result, invalidKeys };
}

function valueFrom(
  variable: EnvVar,
  container: Container,
  ctx: EnvContext,
  namespace: string,
): string | undefined {
  const from = variable.valueFrom;
  if (from?.fieldRef) return fieldValue(from.fieldRef.fieldPath, ctx);
  if (from?.resourceFieldRef) {
    const { resource, divisor } = from.resourceFieldRef;
    return resourceValue(resource, divisor, container, ctx.nodeAllocatable);
  }
  const keyRef = from?.configMapKeyRef ?? from?.secretKeyRef;
  if (!keyRef) return "";
  const isConfigMap = from?.configMapKeyRef !== undefined;
  const data = (isConfigMap ? ctx.configMaps : ctx.secrets).get(keyRef.name);
  if (!data) {
    if (keyRef.optional) return undefined;
    throw new EnvError(`${isConfigMap ? "configmap" : "secret"} "${keyRef.name}" not found`);
  }
  const value = data[keyRef.key];
  if (value === undefined) {
    if (keyRef.optional) return undefined;
    const kind = isConfigMap ? "ConfigMap" : "Secret";
    throw new EnvError(`couldn't find key ${keyRef.key} in ${kind} ${namespace}/${keyRef.name}`);
  }
  return value;
}

/** The downward API fields an env var may name (fieldpath.ExtractFieldPathAsString and the kubelet's own). */
export function fieldValue(fieldPath: string, ctx: PodFacts): string {
  const { metadata, spec } = ctx.pod;
  const subscript = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (subscript) {
    const map = subscript[1] === "labels" ? metadata.labels : metadata.annotations;
    return map?.[subscript[2] ?? ""] ?? "";
  }
  switch (fieldPath) {
    case "metadata.name":
      return metadata.name;
    case "metadata.namespace":
      return metadata.namespace;
    case "metadata.uid":
      return metadata.uid;
    case "metadata.labels":
      return formatMap(metadata.labels ?? {});
    case "metadata.annotations":
      return formatMap(metadata.annotations ?? {});
    case "spec.nodeName":
      return spec.nodeName ?? "";
    case "spec.serviceAccountName":
      return spec.serviceAccountName ?? "";
    case "status.hostIP":
    case "status.hostIPs":
      return ctx.hostIP;
    case "status.podIP":
    case "status.podIPs":
      return ctx.podIP;
  }
  throw new EnvError(`unsupported fieldPath: ${fieldPath}`);
}

/** fieldpath.FormatMap: sorted `key="value"` lines. */
function formatMap(map: Record<string, string>): string {
  return Object.keys(map)
    .sort()
    .map((key) => `${key}=${JSON.stringify(map[key])}`)
    .join("\n");
}

/**
 * resourceFieldRef: a request or limit rounded up to a multiple of the divisor. An unset limit
 * is the node's allocatable amount, as on a real node.
 */
function resourceValue(
  resource: string,
  divisor: string | number | undefined,
  container: Container,
  allocatable: Readonly<Record<string, string>>,
): string {
  const [kind, name = ""] = resource.split(/\.(.*)/s);
  if (kind !== "limits" && kind !== "requests") {
    throw new EnvError(`unsupported container resource: ${resource}`);
  }
  const set = container.resources?.[kind]?.[name];
  const quantity = set !== undefined ? String(set) : kind === "limits" ? allocatable[name] : "0";
  const value = quantityValue(quantity ?? "0");
  const by = quantityValue(String(divisor ?? "1"));
  if (value === undefined || by === undefined || by <= 0) {
    throw new EnvError(`invalid quantity for ${resource}`);
  }
  // CPU divides in millicores, as the kubelet does, so "1m" divisors stay exact.
  const scaled = name === "cpu" ? Math.round(value * 1000) / Math.round(by * 1000) : value / by;
  return String(Math.ceil(scaled));
}

export type Mapping = (name: string) => string;

/** expansion.MappingFuncFor: the first map defining `name` wins; an unknown reference stays as written. */
export function mappingFor(...maps: Readonly<Record<string, string>>[]): Mapping {
  return (name) => {
    for (const map of maps) {
      if (Object.hasOwn(map, name)) return map[name] ?? "";
    }
    return `$(${name})`;
  };
}

/**
 * expansion.Expand, character for character: `$(NAME)` is replaced through `mapping`, `$$`
 * escapes a dollar, and any other `$` (or an unclosed `$(`) is kept as written.
 */
export function expand(input: string, mapping: Mapping): string {
  let out = "";
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== "$" || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let advance = 1;
    if (next === "$") {
      out += "$";
    } else if (next === "(") {
      const close = input.indexOf(")", cursor + 2);
      if (close === -1) {
        out += "$(";
      } else {
        out += mapping(input.slice(cursor + 2, close));
        advance = close - cursor;
      }
    } else {
      out += `$${next}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** ExpandContainerCommandAndArgs: `$(VAR)` in command and args comes from the final env. */
export function expandArgs(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): string[] {
  const lookup = mappingFor(env);
  return args.map((arg) => expand(arg, lookup));
}

/**
 * What the kubelet puts in every container's env for the `kubernetes` Service, pointed at the
 * API server itself: in-cluster clients then never use the Service's cluster IP, which nothing
 * routes here.
 */
export function kubernetesServiceEnv(apiServerUrl: string): Record<string, string> {
  const url = new URL(apiServerUrl);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!(host === "localhost" || (isIP(host) === 4 && host.startsWith("127.")) || host === "::1")) {
    throw new Error(`the process kubelet needs an API server on loopback, not ${url.host}`);
  }
  const port = url.port || "443";
  const address = `tcp://${url.hostname}:${port}`;
  return {
    KUBERNETES_SERVICE_HOST: host,
    KUBERNETES_SERVICE_PORT: port,
    KUBERNETES_SERVICE_PORT_HTTPS: port,
    KUBERNETES_PORT: address,
    [`KUBERNETES_PORT_${port}_TCP`]: address,
    [`KUBERNETES_PORT_${port}_TCP_PROTO`]: "tcp",
    [`KUBERNETES_PORT_${port}_TCP_PORT`]: port,
    [`KUBERNETES_PORT_${port}_TCP_ADDR`]: host,
  };
}
