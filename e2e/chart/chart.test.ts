// Offline checks of charts/herald: what must hold before any cluster sees the chart.
import { readFile, readdir } from "node:fs/promises";
import { isMap, isScalar, parse, parseAllDocuments, parseDocument, type YAMLMap } from "yaml";
import { describe, expect, test } from "vitest";
import { z } from "zod";
import {
  messageBrokerSpecSchema,
  messageBrokerUserSpecSchema,
} from "../../operator/api/v1alpha1/index.ts";
import { crdFiles } from "../../tools/crd/crd-file.ts";
import { chartDir } from "./tools.ts";

const chartFile = (path: string) => readFile(`${chartDir}${path}`, "utf8");

interface SchemaNode {
  description?: string;
  properties?: Record<string, SchemaNode>;
}

describe("charts/herald", () => {
  test("its CRDs are the generated ones, and only those (run `npm run crd:generate`)", async () => {
    const files = crdFiles();
    for (const { chartFile, yaml } of files) expect(await readFile(chartFile, "utf8")).toBe(yaml);
    const committed = await readdir(`${chartDir}crds`);
    expect(committed.sort()).toEqual(
      files.map(({ file }) => file.pathname.split("/").at(-1)).sort(),
    );
  });

  test("its appVersion is the package version, so the default images match the code", async () => {
    const chart = z.object({ appVersion: z.string() }).parse(parse(await chartFile("Chart.yaml")));
    const pkg = z
      .object({ version: z.string() })
      .parse(JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")));
    expect(chart.appVersion).toBe(pkg.version);
  });

  test("every key in values.schema.json has a description", async () => {
    const schema = JSON.parse(await chartFile("values.schema.json")) as SchemaNode;
    const undocumented = (node: SchemaNode, path: string): string[] =>
      Object.entries(node.properties ?? {}).flatMap(([key, child]) => [
        ...(child.description?.trim() ? [] : [`${path}${key}`]),
        ...undocumented(child, `${path}${key}.`),
      ]);
    expect(undocumented(schema, "")).toEqual([]);
  });

  test("every value in values.yaml has a comment, on itself or on each of its keys", async () => {
    const document = parseDocument(await chartFile("values.yaml"));
    // The yaml parser attaches a comment above a map's first key to the map itself.
    const commentOf = (map: YAMLMap, index: number): string | undefined => {
      const key = map.items[index]?.key;
      return (
        (isScalar(key) ? key.commentBefore : undefined) ??
        (index === 0 ? map.commentBefore : undefined) ??
        undefined
      );
    };
    const undocumented = (map: YAMLMap, path: string): string[] =>
      map.items.flatMap((pair, index) => {
        const key = `${path}${isScalar(pair.key) ? String(pair.key.value) : "?"}`;
        if (commentOf(map, index)?.trim()) return [];
        if (isMap(pair.value) && pair.value.items.length > 0)
          return undocumented(pair.value, `${key}.`);
        return [key];
      });
    expect(isMap(document.contents)).toBe(true);
    expect(undocumented(document.contents as YAMLMap, "")).toEqual([]);
  });

  test("the examples are valid MessageBrokers and users, each with the fields it shows off", async () => {
    const files = (await readdir(`${chartDir}examples`)).filter((file) => file.endsWith(".yaml"));
    const kinds: Record<string, string[]> = {};
    const specs: Record<string, z.infer<typeof messageBrokerSpecSchema>> = {};
    const users: Record<string, z.infer<typeof messageBrokerUserSpecSchema>[]> = {};
    for (const file of files) {
      for (const document of parseAllDocuments(await chartFile(`examples/${file}`))) {
        expect(document.errors, file).toEqual([]);
        const object = z
          .object({
            apiVersion: z.string(),
            kind: z.string(),
            // No namespace: `kubectl apply -n` puts an example where the user wants it.
            metadata: z.object({ name: z.string(), namespace: z.never().optional() }),
            spec: z.unknown().optional(),
          })
          .parse(document.toJS());
        (kinds[file] ??= []).push(object.kind);
        if (object.kind === "MessageBroker") {
          expect(object.apiVersion).toBe("herald.dev/v1alpha1");
          specs[file] = messageBrokerSpecSchema.parse(object.spec);
        }
        if (object.kind === "MessageBrokerUser") {
          expect(object.apiVersion).toBe("herald.dev/v1alpha1");
          (users[file] ??= []).push(messageBrokerUserSpecSchema.parse(object.spec));
        }
      }
    }
    expect(specs["memory-dev.yaml"]?.storage.type).toBe("memory");
    expect(specs["postgres-managed.yaml"]?.storage.postgres).toHaveProperty("managed");
    expect(specs["cassandra-external.yaml"]?.storage.cassandra).toHaveProperty("external");
    expect(specs["observability.yaml"]).toMatchObject({
      rateLimit: { enabled: true },
      tracing: { enabled: true },
      monitoring: { serviceMonitor: { enabled: true } },
    });
    expect(kinds["autoscaling.yaml"]).toEqual(["HorizontalPodAutoscaler"]);
    // One token user and one ServiceAccount user of the memory example's broker.
    const memoryBroker = parseAllDocuments(await chartFile("examples/memory-dev.yaml"))
      .map((document) => document.toJS() as { metadata: { name: string } })
      .at(0)?.metadata.name;
    expect(users["users.yaml"]?.map((user) => user.broker)).toEqual([memoryBroker, memoryBroker]);
    expect(users["users.yaml"]?.map((user) => user.serviceAccount)).toEqual([
      undefined,
      "billing-app",
    ]);
  });

  test("the autoscaling example targets a MessageBroker that can scale", async () => {
    const hpa = z
      .object({
        spec: z.object({
          scaleTargetRef: z.object({ apiVersion: z.string(), kind: z.string(), name: z.string() }),
          minReplicas: z.number(),
        }),
      })
      .parse(parse(await chartFile("examples/autoscaling.yaml")));
    expect(hpa.spec.scaleTargetRef).toMatchObject({
      apiVersion: "herald.dev/v1alpha1",
      kind: "MessageBroker",
    });
    const target = parseAllDocuments(await chartFile("examples/postgres-managed.yaml"))
      .map((document) => document.toJS() as { kind: string; metadata: { name: string } })
      .find((object) => object.kind === "MessageBroker");
    expect(target?.metadata.name).toBe(hpa.spec.scaleTargetRef.name);
    expect(hpa.spec.minReplicas).toBeGreaterThan(1);
  });

  test("the dashboards are Grafana JSON with a Prometheus data source variable", async () => {
    const panel = z.object({
      type: z.string(),
      title: z.string(),
      targets: z.array(z.object({ expr: z.string(), refId: z.string() })).optional(),
    });
    const dashboard = z.object({
      uid: z.string(),
      title: z.string(),
      panels: z.array(panel).min(1),
      templating: z.object({ list: z.array(z.object({ name: z.string(), type: z.string() })) }),
    });
    for (const name of ["broker", "operator"]) {
      const parsed = dashboard.parse(JSON.parse(await chartFile(`dashboards/${name}.json`)));
      expect(parsed.uid).toBe(`herald-${name}`);
      expect(parsed.templating.list[0]).toEqual({ name: "datasource", type: "datasource" });
      const queries = parsed.panels.flatMap((p) => p.targets ?? []);
      expect(queries.length, name).toBeGreaterThan(5);
    }
  });
});
