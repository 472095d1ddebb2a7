/** The console's views by URL fragment (`#/subjects`), so each has a link and survives a reload. */
export const views = [
  "subjects",
  "cluster",
  "tail",
  "publish",
  "groups",
  "load",
  "signin",
] as const;
export type View = (typeof views)[number];

export interface Location {
  readonly view: View;
  /** The subject a link names (`#/tail/orders.eu`), percent-encoded in the fragment. */
  readonly subject: string;
}

/** The location a fragment names; the subjects page when it names none. */
export function parseLocation(hash: string): Location {
  const [, name = "", subject = ""] = hash.split("/");
  const view = views.find((candidate) => candidate === name) ?? "subjects";
  return { view, subject: safeDecode(subject) };
}

export const href = (view: View, subject = ""): string =>
  `#/${view}${subject === "" ? "" : `/${encodeURIComponent(subject)}`}`;

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return "";
  }
}
