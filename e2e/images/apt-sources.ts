/**
 * The Debian mirror this machine's apt already uses, for debootstrap: read from the apt sources
 * at run time so no mirror is written into the project.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface SourceFile {
  readonly name: string;
  readonly text: string;
}

interface Entry {
  readonly types: readonly string[];
  readonly uris: readonly string[];
  readonly suites: readonly string[];
  readonly enabled: boolean;
}

/** deb822 stanzas (`*.sources`): blank-line separated `Field: value` blocks. */
function deb822Entries(text: string): Entry[] {
  const stanzas = text
    .split("\n")
    .filter((line) => !line.startsWith("#"))
    .join("\n")
    .split(/\n\s*\n/);
  return stanzas.map((stanza) => {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split("\n")) {
      const field = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (field?.[1] !== undefined) {
        last = field[1].toLowerCase();
        fields.set(last, field[2] ?? "");
      } else if (last !== undefined && /^\s/.test(line)) {
        fields.set(last, `${fields.get(last) ?? ""} ${line.trim()}`);
      }
    }
    const words = (name: string) => (fields.get(name) ?? "").split(/\s+/).filter(Boolean);
    return {
      types: words("types"),
      uris: words("uris"),
      suites: words("suites"),
      enabled: fields.get("enabled")?.trim().toLowerCase() !== "no",
    };
  });
}

/** One-line entries (`*.list`): `deb [options] uri suite component...`. */
function oneLineEntries(text: string): Entry[] {
  return text.split("\n").flatMap((raw) => {
    const line = raw
      .replace(/#.*/, "")
      .replace(/\[[^\]]*\]/, "")
      .trim();
    const [type, uri, suite] = line.split(/\s+/);
    if (!type || !uri || !suite) return [];
    return [{ types: [type], uris: [uri], suites: [suite], enabled: true }];
  });
}

/** The first enabled binary (`deb`) source that serves `suite` itself, e.g. bookworm. */
export function debianMirror(files: readonly SourceFile[], suite: string): string | undefined {
  for (const file of files) {
    const entries = file.name.endsWith(".sources")
      ? deb822Entries(file.text)
      : oneLineEntries(file.text);
    const match = entries.find(
      (entry) => entry.enabled && entry.types.includes("deb") && entry.suites.includes(suite),
    );
    if (match?.uris[0] !== undefined) return match.uris[0];
  }
  return undefined;
}

/** /etc/apt/sources.list, then sources.list.d/*.list and *.sources in name order, as apt reads them. */
export async function readAptSources(etcApt = "/etc/apt"): Promise<SourceFile[]> {
  const read = async (path: string): Promise<SourceFile[]> => {
    try {
      return [{ name: path, text: await readFile(path, "utf8") }];
    } catch {
      return [];
    }
  };
  const dir = join(etcApt, "sources.list.d");
  const names = await readdir(dir).catch(() => []);
  const parts = names
    .filter((name) => name.endsWith(".list") || name.endsWith(".sources"))
    .sort()
    .map((name) => read(join(dir, name)));
  return (await Promise.all([read(join(etcApt, "sources.list")), ...parts])).flat();
}
