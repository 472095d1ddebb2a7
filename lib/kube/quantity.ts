/**
 * Kubernetes resource quantities ("500m", "0.5", "1Gi", "1e3"). The API server rewrites them
 * to a canonical form, so equality must compare their values, not their spelling.
 */
const quantityPattern =
  /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

const multipliers: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a quantity, or undefined when `text` is not one. */
export function quantityValue(text: string): number | undefined {
  const match = quantityPattern.exec(text);
  if (!match) return undefined;
  const [, number = "", exponent, suffix] = match;
  const value = Number(number + (exponent ?? ""));
  return suffix ? value * (multipliers[suffix] ?? NaN) : value;
}

export function quantitiesEqual(a: string, b: string): boolean {
  const left = quantityValue(a);
  const right = quantityValue(b);
  if (left === undefined || right === undefined) return false;
  return Math.abs(left - right) <= Number.EPSILON * 16 * Math.max(Math.abs(left), Math.abs(right));
}
