import { quantitiesEqual } from "../../lib/kube/quantity.ts";

/** Maps whose values are resource quantities (container resources, PVC template requests). */
const quantityMaps = new Set(["requests", "limits"]);
const quantityFields = new Set(["sizeLimit"]);

/**
 * Whether every field set in `desired` has the same value in `live`: the question "would a
 * server-side apply of `desired` change anything the live object shows?".
 *
 * - fields only in `live` (server defaults, other managers' fields) are ignored;
 * - lists must have the same length and match element by element, since an apply would
 *   remove extra elements of the lists it owns;
 * - empty maps and lists in `desired` match absent ones, as the server omits them;
 * - quantities compare by value ("0.5" equals "500m").
 */
export function isSemanticSubset(desired: unknown, live: unknown): boolean {
  return subset(desired, live, "", "");
}

function subset(desired: unknown, live: unknown, key: string, parentKey: string): boolean {
  if (desired === live) return true;
  if (desired === null || desired === undefined) return live === undefined || live === null;
  if (Array.isArray(desired)) {
    if (live === undefined || live === null) return desired.length === 0;
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((item, index) => subset(item, live[index], key, parentKey));
  }
  if (typeof desired === "object") {
    const entries = Object.entries(desired);
    if (live === undefined || live === null) return entries.length === 0;
    if (typeof live !== "object" || Array.isArray(live)) return false;
    const liveRecord = live as Record<string, unknown>;
    return entries.every(([field, value]) => subset(value, liveRecord[field], field, key));
  }
  const isQuantity = quantityMaps.has(parentKey) || quantityFields.has(key);
  const isScalar = typeof desired === "string" || typeof desired === "number";
  if (isQuantity && isScalar && typeof live === "string")
    return quantitiesEqual(String(desired), live);
  return false;
}
