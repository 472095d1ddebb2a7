import type { KubernetesObject, V1OwnerReference, V1Secret } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { apiVersion, userKind, type MessageBrokerUser } from "../api/v1alpha1/index.ts";

/**
 * The Secret a token user's clients read: the token, the broker's client address and the CA that
 * signed the brokers' certificate. The token is generated once and kept: rendering takes it from
 * the existing Secret, so a re-render never locks a client out.
 */
export const credentialKeys = { token: "token", address: "address", caBundle: "ca.crt" } as const;

export const credentialsSecretName = (userName: string) => `${userName}-credentials`;

/** 43 URL-safe characters (256 bits). */
export function generateToken(): string {
  return randomBytes(32).toString("base64url");
}

export function tokenFromSecret(secret: V1Secret | undefined): string | undefined {
  const encoded = secret?.data?.[credentialKeys.token];
  return encoded ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
}

/** The owner reference of a user's Secret: garbage collection deletes the Secret with the user. */
export function userOwnerReference(user: MessageBrokerUser): V1OwnerReference {
  return {
    apiVersion,
    kind: userKind,
    name: user.metadata.name,
    uid: user.metadata.uid,
    controller: true,
  };
}

/** The name of the MessageBrokerUser that controls `object`, if one does. */
export function controllingUserName(object: KubernetesObject): string | undefined {
  return object.metadata?.ownerReferences?.find(
    (ref) => ref.controller === true && ref.kind === userKind && ref.apiVersion === apiVersion,
  )?.name;
}

/** Whether `secret` is this user's own (and not, say, a Secret someone made with the same name). */
export function isOwnedByUser(secret: KubernetesObject, user: MessageBrokerUser): boolean {
  return (
    secret.metadata?.ownerReferences?.some(
      (ref) => ref.kind === userKind && ref.uid === user.metadata.uid,
    ) ?? false
  );
}

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

export function renderCredentialsSecret(
  user: MessageBrokerUser,
  credentials: { token: string; address: string; caBundle: string | undefined },
): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: credentialsSecretName(user.metadata.name),
      namespace: user.metadata.namespace,
      labels: {
        "app.kubernetes.io/name": "herald-credentials",
        "app.kubernetes.io/instance": user.spec.broker,
        "app.kubernetes.io/component": "credentials",
        "app.kubernetes.io/part-of": "herald",
        // The operator's Secret cache selects on this label.
        "app.kubernetes.io/managed-by": "herald-operator",
      },
      ownerReferences: [userOwnerReference(user)],
    },
    type: "Opaque",
    // data rather than stringData: stringData is write-only and would never compare equal under apply.
    data: {
      [credentialKeys.token]: base64(credentials.token),
      [credentialKeys.address]: base64(credentials.address),
      [credentialKeys.caBundle]: base64(credentials.caBundle ?? ""),
    },
  };
}
