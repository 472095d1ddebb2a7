import type { SchemaNode } from "../../operator/crd/schema-node.ts";

export interface ReferenceOptions {
  title: string;
  /** Paragraphs between the title and the first section. */
  intro: string[];
  /** Heading of the root object's section. */
  rootName: string;
  /** Plain-words names of well-known patterns (by their source), e.g. a Kubernetes quantity. */
  patternNames?: Record<string, string>;
}

interface Section {
  path: string;
  node: SchemaNode;
}

/**
 * The Markdown reference of a CRD schema: one section per object with a field table (constraints
 * folded into the description) and the messages of the CEL rules that guard it.
 */
export function renderReference(root: SchemaNode, options: ReferenceOptions): string {
  const sections = objectSections(root, "");
  const blocks = [
    `# ${options.title}`,
    ...options.intro,
    ...sections.map((section) => renderSection(section, options)),
  ];
  return `${blocks.join("\n\n")}\n`;
}

/** Every object that has fields, depth first, so a section is followed by its children's. */
function objectSections(node: SchemaNode, path: string): Section[] {
  const children = Object.entries(node.properties ?? {}).flatMap(([name, field]) => {
    const section = sectionOf(field, join(path, name));
    return section ? objectSections(section.node, section.path) : [];
  });
  return node.properties ? [{ path, node }, ...children] : children;
}

/** The section a field's fields go in: the field itself, or the items of a list of objects. */
function sectionOf(field: SchemaNode, path: string): Section | undefined {
  if (field.properties) return { path, node: field };
  const items = listItems(field);
  return items?.properties ? { path: `${path}[]`, node: items } : undefined;
}

function renderSection({ path, node }: Section, options: ReferenceOptions): string {
  const fields = Object.entries(node.properties ?? {});
  const required = new Set(node.required);
  const rows = fields.map(([name, field]) =>
    tableRow([
      `\`${name}\``,
      typeOf(field, join(path, name)),
      defaultOf(field),
      describe(field, required.has(name), options),
    ]),
  );
  // A field's own rules show here unless the field is the object of a section of its own.
  const guarded = [node, ...fields.map(([, field]) => field).filter((f) => !f.properties)];
  const rules = guarded
    .flatMap((n) => n["x-kubernetes-validations"] ?? [])
    .map(({ message }) => `- ${message}`);
  return [
    `## ${path || options.rootName}`,
    ...(node.description ? [node.description] : []),
    [
      tableRow(["Field", "Type", "Default", "Description"]),
      tableRow(["---", "---", "---", "---"]),
      ...rows,
    ].join("\n"),
    ...(rules.length > 0 ? ["Validation rules:", rules.join("\n")] : []),
  ].join("\n\n");
}

function typeOf(field: SchemaNode, path: string): string {
  const section = sectionOf(field, path);
  if (!section) return plainType(field);
  const link = `[object](#${anchor(section.path)})`;
  return section.node === field ? link : `list of ${link}`;
}

function plainType(node: SchemaNode): string {
  if (node["x-kubernetes-int-or-string"]) return "int-or-string";
  const items = listItems(node);
  if (items) return `list of ${plainType(items)}`;
  if (typeof node.additionalProperties === "object")
    return `map of ${plainType(node.additionalProperties)}`;
  if (node["x-kubernetes-preserve-unknown-fields"]) return "object (any fields)";
  return node.format ? `${node.type} (${node.format})` : (node.type ?? "any");
}

/** An object with its own section shows its fields' defaults there rather than one long value here. */
function defaultOf(node: SchemaNode): string {
  if (node.default === undefined || node.properties) return "";
  return `\`${JSON.stringify(node.default)}\``;
}

function describe(node: SchemaNode, required: boolean, options: ReferenceOptions): string {
  return [
    ...(required ? ["**Required.**"] : []),
    ...(node.description ? [node.description] : []),
    ...constraints(node, options),
  ].join(" ");
}

function constraints(node: SchemaNode, options: ReferenceOptions): string[] {
  const items = listItems(node);
  const values = node.additionalProperties;
  const itemConstraints = items && !items.properties ? constraints(items, options) : [];
  const valueConstraints = typeof values === "object" ? constraints(values, options) : [];
  const listKeys = node["x-kubernetes-list-map-keys"];
  return [
    ...(node.enum ? [`One of ${node.enum.map((v) => `\`${String(v)}\``).join(", ")}.`] : []),
    ...range(node.minimum, node.maximum, ""),
    ...range(node.minLength, node.maxLength, " characters"),
    ...range(node.minItems, node.maxItems, " items"),
    ...(node.pattern ? [patternText(node.pattern, options)] : []),
    ...(Array.isArray(listKeys)
      ? [`One entry per ${listKeys.map((k) => `\`${String(k)}\``).join(", ")}.`]
      : []),
    ...(isImmutable(node) ? ["Immutable."] : []),
    ...nested("Each item", itemConstraints),
    ...nested("Each value", valueConstraints),
  ];
}

/** The constraints of a list's items or a map's values, after the list's or map's own. */
function nested(subject: string, sentences: string[]): string[] {
  const text = sentences.join(" ");
  return text ? [`${subject}: ${text.charAt(0).toLowerCase()}${text.slice(1)}`] : [];
}

function range(min: unknown, max: unknown, unit: string): string[] {
  const hasMin = typeof min === "number";
  const hasMax = typeof max === "number";
  if (hasMin && hasMax) return [`From ${min} to ${max}${unit}.`];
  if (hasMin) return [`At least ${min}${unit}.`];
  if (hasMax) return [`At most ${max}${unit}.`];
  return [];
}

function patternText(pattern: string, options: ReferenceOptions): string {
  const name = options.patternNames?.[pattern];
  return name ? `Must be ${name}.` : `Matches \`${pattern}\`.`;
}

/** A transition rule that keeps the value; the description may already say so in words. */
function isImmutable(node: SchemaNode): boolean {
  const keeps = node["x-kubernetes-validations"]?.some((v) => v.rule === "self == oldSelf");
  return keeps === true && !/\bimmutable\b/i.test(node.description ?? "");
}

function join(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}

function listItems(node: SchemaNode): SchemaNode | undefined {
  return node.items && !Array.isArray(node.items) ? node.items : undefined;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replace(/ /g, "-");
}

/** A table row; a pipe would end the cell and a line break the row, even inside code. */
function tableRow(cells: string[]): string {
  const escaped = cells.map((cell) => cell.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " "));
  return `| ${escaped.join(" | ")} |`;
}
