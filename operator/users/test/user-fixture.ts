import {
  messageBrokerUserSchema,
  type MessageBrokerUser,
  type MessageBrokerUserInput,
} from "../../api/v1alpha1/index.ts";

/** A parsed MessageBrokerUser of broker `orders` in namespace `shop`. */
export function userFixture(
  name: string,
  spec: Partial<MessageBrokerUserInput["spec"]> = {},
  metadata: Partial<MessageBrokerUser["metadata"]> = {},
): MessageBrokerUser {
  return messageBrokerUserSchema.parse({
    apiVersion: "herald.dev/v1alpha1",
    kind: "MessageBrokerUser",
    metadata: { name, namespace: "shop", uid: `uid-${name}`, generation: 1, ...metadata },
    spec: { broker: "orders", ...spec },
  });
}
