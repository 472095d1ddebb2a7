import type { V1Secret } from "@kubernetes/client-node";
import type { MessageBroker } from "../api/v1alpha1/index.ts";
import type { RenderContext } from "./context.ts";
import { childMetadata } from "./metadata.ts";
import { childNames } from "./names.ts";
import { managedStoreSettings } from "./store-connection.ts";

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** Credentials of the managed PostgreSQL, shared by its server and the brokers through secretKeyRef. */
export function renderPostgresSecret(broker: MessageBroker, ctx: RenderContext): V1Secret {
  if (!ctx.postgresPassword)
    throw new Error("managed PostgreSQL needs ctx.postgresPassword (existing or generated)");
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: childMetadata(broker, {
      name: childNames(broker).postgresCredentials,
      component: "postgres",
    }),
    type: "Opaque",
    // data rather than stringData: stringData is write-only and would never compare equal under apply.
    data: {
      username: base64(managedStoreSettings.user),
      password: base64(ctx.postgresPassword),
      database: base64(managedStoreSettings.database),
    },
  };
}
