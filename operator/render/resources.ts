import type { V1ResourceRequirements } from "@kubernetes/client-node";

type Quantities = Record<string, string | number> | undefined;

/** The CRD accepts `cpu: 2` (int-or-string); the Pod API model wants quantity strings. */
export function resourceRequirements(resources: {
  requests?: Quantities;
  limits?: Quantities;
}): V1ResourceRequirements {
  const asStrings = (list: Quantities) =>
    list && Object.fromEntries(Object.entries(list).map(([name, value]) => [name, String(value)]));
  return {
    ...(resources.requests ? { requests: asStrings(resources.requests) } : {}),
    ...(resources.limits ? { limits: asStrings(resources.limits) } : {}),
  };
}
