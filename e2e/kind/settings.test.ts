import { expect, test } from "vitest";
import { EnvError } from "../../testing/env-error.ts";
import { kindSettings } from "./settings.ts";

test("cluster herald-e2e, deleted afterwards, unless the environment says otherwise", () => {
  expect(kindSettings({})).toEqual({ cluster: "herald-e2e", keep: false });
  expect(kindSettings({ HERALD_KIND_CLUSTER: "mine", HERALD_KIND_KEEP: "1" })).toEqual({
    cluster: "mine",
    keep: true,
  });
  expect(kindSettings({ HERALD_KIND_KEEP: "0" }).keep).toBe(false);
});

test("a cluster name kind would refuse is one line naming the variable", () => {
  expect(() => kindSettings({ HERALD_KIND_CLUSTER: "My_Cluster" })).toThrow(EnvError);
  expect(() => kindSettings({ HERALD_KIND_CLUSTER: "My_Cluster" })).toThrow(
    /^HERALD_KIND_CLUSTER: /,
  );
});
