import type { CustomResourceDefinition } from "./custom-resource.ts";
import { messageBrokerCrd } from "./messagebroker-crd.ts";
import { messageBrokerUserCrd } from "./messagebrokeruser-crd.ts";

/** Every CRD of the herald.dev API, in install order. */
export function heraldCrds(): CustomResourceDefinition[] {
  return [messageBrokerCrd(), messageBrokerUserCrd()];
}
