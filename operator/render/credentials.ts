import type { V1Secret } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";

/**
 * The generated password of a managed store. Rendering is pure, so the controller reads the
 * existing Secret's password or, on first creation only, generates one, and passes it in
 * RenderContext: a re-render never changes a password the database already uses.
 */
export function passwordFromSecret(secret: V1Secret | undefined): string | undefined {
  const encoded = secret?.data?.password;
  return encoded ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
}

/** 32 URL-safe characters (192 bits), safe in any connection string. */
export function generatePassword(): string {
  return randomBytes(24).toString("base64url");
}
