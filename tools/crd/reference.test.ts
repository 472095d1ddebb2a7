import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { referenceFiles } from "./reference-file.ts";
import { renderReference } from "./reference.ts";
import type { SchemaNode } from "../../operator/crd/schema-node.ts";

const options = { title: "Widget reference", intro: ["Intro."], rootName: "Widget" };

const schema: SchemaNode = {
  type: "object",
  description: "A widget.",
  properties: {
    spec: {
      type: "object",
      description: "Desired state.",
      default: { size: 1 },
      required: ["name"],
      properties: {
        name: { type: "string", description: "Name.", minLength: 1, maxLength: 63 },
        size: {
          type: "integer",
          description: "Size.",
          default: 1,
          minimum: 1,
          "x-kubernetes-validations": [{ rule: "self > 0", message: "size must be positive" }],
        },
        mode: {
          type: "string",
          description: "Mode.",
          enum: ["fast", "slow"],
          "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "mode is immutable" }],
        },
        quantity: { type: "string", description: "How much.", pattern: "^[0-9]+$" },
        filter: { type: "string", description: "Filter.", pattern: "^(a|b)$" },
        tags: {
          type: "array",
          description: "Tags.",
          maxItems: 4,
          items: { type: "string", maxLength: 8 },
        },
        parts: {
          type: "array",
          description: "Parts.",
          items: {
            type: "object",
            description: "One part.",
            properties: { id: { type: "integer", description: "Part id." } },
          },
        },
        labels: {
          type: "object",
          description: "Labels.",
          default: {},
          additionalProperties: { type: "string" },
        },
      },
      "x-kubernetes-validations": [{ rule: "true", message: "spec must be sensible" }],
    },
  },
};

describe("renderReference", () => {
  const markdown = renderReference(schema, {
    ...options,
    patternNames: { "^[0-9]+$": "a whole number" },
  });
  const lines = markdown.split("\n");
  const row = (field: string) => lines.find((line) => line.startsWith(`| \`${field}\` |`));

  it("writes one section per object, depth first, the root under its name", () => {
    expect(lines.filter((line) => line.startsWith("#"))).toEqual([
      "# Widget reference",
      "## Widget",
      "## spec",
      "## spec.parts[]",
    ]);
    expect(markdown).toContain(
      "## spec\n\nDesired state.\n\n| Field | Type | Default | Description |",
    );
  });

  it("links objects to their sections and leaves their defaults to their fields", () => {
    expect(row("spec")).toBe("| `spec` | [object](#spec) |  | Desired state. |");
    expect(row("parts")).toBe("| `parts` | list of [object](#specparts) |  | Parts. |");
  });

  it("folds required, ranges, lengths, enums, patterns and immutability into the description", () => {
    expect(row("name")).toBe(
      "| `name` | string |  | **Required.** Name. From 1 to 63 characters. |",
    );
    expect(row("size")).toBe("| `size` | integer | `1` | Size. At least 1. |");
    expect(row("mode")).toBe("| `mode` | string |  | Mode. One of `fast`, `slow`. Immutable. |");
    expect(row("quantity")).toBe("| `quantity` | string |  | How much. Must be a whole number. |");
    expect(row("tags")).toBe(
      "| `tags` | list of string |  | Tags. At most 4 items. Each item: at most 8 characters. |",
    );
    expect(row("labels")).toBe("| `labels` | map of string | `{}` | Labels. |");
  });

  it("escapes pipes, which would otherwise split the cell", () => {
    expect(row("filter")).toBe("| `filter` | string |  | Filter. Matches `^(a\\|b)$`. |");
  });

  it("lists the rules of the object and of its plain fields, not of its sub-objects", () => {
    expect(markdown).toContain(
      "Validation rules:\n\n- spec must be sensible\n- size must be positive\n- mode is immutable\n\n## spec.parts[]",
    );
    expect(markdown.match(/Validation rules/g)).toHaveLength(1);
  });
});

describe.each(referenceFiles.map((reference) => ({ name: reference.file.pathname, reference })))(
  "reference $name",
  ({ reference }) => {
    it("is committed as generated (run `npm run crd:generate`)", async () => {
      expect(await readFile(reference.file, "utf8")).toBe(await reference.markdown());
    });
  },
);
