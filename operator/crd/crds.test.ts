import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { celViolations } from "../test/cel-evaluate.ts";
import { crdFiles } from "../../tools/crd/crd-file.ts";
import type { SchemaNode } from "./schema-node.ts";

/** Every node below the root with its dotted path, as `kubectl explain` walks them. */
function nodes(node: SchemaNode, path: string): [string, SchemaNode][] {
  const properties = Object.entries(node.properties ?? {}).map(
    ([name, child]) => [`${path}.${name}`, child] as const,
  );
  const items =
    node.items && !Array.isArray(node.items) ? [[`${path}[]`, node.items] as const] : [];
  return [...properties, ...items].flatMap(([childPath, child]) => [
    [childPath, child],
    ...nodes(child, childPath),
  ]);
}

describe.each(crdFiles().map((file) => ({ name: file.crd.spec.names.kind, file })))(
  "$name CRD",
  ({ file }) => {
    const root = file.crd.spec.names.shortNames[0] ?? "";
    const schema = file.crd.spec.versions[0]?.schema.openAPIV3Schema ?? {};
    const all = nodes(schema, root);

    it("is committed as generated (run `npm run crd:generate`)", async () => {
      expect(await readFile(file.file, "utf8")).toBe(file.yaml);
    });

    it("describes every property, for kubectl explain", () => {
      const undocumented = all
        .filter(([path, node]) => path !== `${root}.metadata` && !node.description?.trim())
        .map(([path]) => path);
      expect(undocumented).toEqual([]);
    });

    it("is structural: a type on every node, unions only as int-or-string", () => {
      for (const [path, node] of all) {
        const typed = node.type !== undefined || node["x-kubernetes-int-or-string"] === true;
        expect(typed, path).toBe(true);
        expect(node.oneOf ?? node.allOf, path).toBeUndefined();
        if (node.properties) expect(node.additionalProperties, path).toBeUndefined();
      }
    });

    it("bounds every string and list of spec and status, so CEL cost estimates stay within the budget", () => {
      const unbounded = all
        .filter(([path]) => path.startsWith(`${root}.spec.`) || path.startsWith(`${root}.status.`))
        .filter(
          ([, node]) =>
            (node.type === "string" &&
              !node.enum &&
              !node.format &&
              node.maxLength === undefined) ||
            (node.type === "array" && node.maxItems === undefined),
        )
        .map(([path]) => path);
      expect(unbounded).toEqual([]);
    });

    it("states defaults that pass the CEL rules as written, as the API server checks them", () => {
      const failing = all
        .filter(([, node]) => node.default !== undefined)
        .flatMap(([path, node]) => celViolations(node, node.default, undefined, path))
        .map(({ path, message }) => `${path}: ${message}`);
      expect(failing).toEqual([]);
    });
  },
);
