import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import { renderAuthFile } from "../../contract/auth-file.ts";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import type { RenderContext } from "./context.ts";
import { childMetadata } from "./metadata.ts";
import { childNames } from "./names.ts";
import { authFileKey, jwksKey } from "./tls.ts";

/** The audience a pod asks for in a projected ServiceAccount token meant for Herald brokers. */
export const serviceAccountTokenAudience = "herald";

/**
 * The brokers' auth file, from the broker's MessageBrokerUsers. It holds token hashes, not tokens,
 * but is a Secret anyway: it maps every user to its permissions, which is no one else's business.
 */
export function renderAuthSecret(broker: MessageBroker, ctx: RenderContext): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: childMetadata(broker, { name: childNames(broker).auth, component: "broker" }),
    type: "Opaque",
    data: { [authFileKey]: Buffer.from(renderAuthFile(ctx.authFile)).toString("base64") },
  };
}

/** The API server's public signing keys, which verify the ServiceAccount tokens of users. */
export function renderJwksConfigMap(broker: MessageBroker, jwks: string): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: childMetadata(broker, { name: childNames(broker).jwks, component: "broker" }),
    data: { [jwksKey]: jwks },
  };
}
