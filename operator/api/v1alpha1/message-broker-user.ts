import { z } from "zod";
import { celRules } from "./cel.ts";
import { conditionSchemaOf } from "./conditions.ts";
import { objectName } from "./fields.ts";
import { apiVersion, userKind } from "./group.ts";
import { maxNameLength, objectMetaSchema } from "./message-broker.ts";
import { messageBrokerStatusSchema } from "./status.ts";

/**
 * A subject pattern (contract/subjects.ts: dot-separated tokens, `*` one whole token, `>` only as
 * the whole last token) as a regular expression, so the API server refuses a bad one at apply.
 * The operator checks the patterns again with the broker's own definition.
 */
export const subjectPatternRegex = /^(>|([^.*>]+|\*)(\.([^.*>]+|\*))*(\.>)?)$/;

/** Patterns per verb and user; generous, and bounded so the CRD's CEL cost stays small. */
export const maxPatternsPerVerb = 64;
export const maxPatternLength = 256;

/** The longest user name whose credentials Secret, `<name>-credentials`, is still a valid name. */
export const maxUserNameLength = 253 - "-credentials".length;

const subjectPattern = z
  .string()
  .min(1)
  .max(maxPatternLength)
  .regex(subjectPatternRegex)
  .describe("A subject or subject pattern: `*` stands for one token, a last `>` for one or more.");

const patterns = (description: string) =>
  z.array(subjectPattern).max(maxPatternsPerVerb).default([]).describe(description);

const verbPatterns = (word: "may" | "may not") =>
  z.strictObject({
    publish: patterns(`Subjects the user ${word} publish to.`),
    subscribe: patterns(`Subjects the user ${word} subscribe to.`),
    fetch: patterns(`Subjects the user ${word} fetch from.`),
    consume: patterns(`Subjects the user ${word} consume from in consumer groups.`),
  });

/**
 * The auth file's permissions (contract/auth-file.ts `permissionsSchema`) in a form the CRD
 * generator can emit: the same fields and defaults, with bounds and the pattern as a regex.
 */
export const userPermissionsSchema = verbPatterns("may")
  .extend({
    deny: verbPatterns("may not")
      .prefault({})
      .describe("Subjects refused even where an allow list matches: deny wins."),
  })
  .describe(
    "What the user may do, per verb, as subject patterns; nothing is allowed that no list grants.",
  );

export const messageBrokerUserSpecSchema = z
  .object({
    broker: z
      .string()
      .min(1)
      .max(maxNameLength)
      .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/)
      .meta(
        celRules({
          rule: "self == oldSelf",
          message: "broker is immutable: make another MessageBrokerUser for another MessageBroker",
        }),
      )
      .describe("Name of the MessageBroker, in the same namespace, that accepts this user."),
    permissions: userPermissionsSchema.prefault({}),
    serviceAccount: objectName(
      "Name of a ServiceAccount in the same namespace: its tokens with the audience `herald` authenticate as this user, and no token Secret is generated.",
    ).optional(),
  })
  .describe("Desired state of the user.");

export const userConditionTypes = {
  Ready:
    "True when the user is in its MessageBroker's auth file: the broker exists, the permissions are valid and its credentials are in place.",
} as const;

export const messageBrokerUserStatusSchema = z
  .object({
    observedGeneration: messageBrokerStatusSchema.shape.observedGeneration,
    conditions: z
      .array(conditionSchemaOf(userConditionTypes, userKind))
      .max(4)
      .optional()
      .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] })
      .describe("Latest observations of the user; one entry per condition type."),
    secretName: z
      .string()
      .max(253)
      .optional()
      .describe(
        "The Secret with the user's token, the broker's address and its CA (keys token, address, ca.crt); unset for a ServiceAccount user.",
      ),
    permissions: userPermissionsSchema
      .optional()
      .describe("The permissions in the auth file, defaults filled in; unset while not Ready."),
  })
  .describe("Observed state of the user, written by the operator.");

export const messageBrokerUserSchema = z
  .object({
    apiVersion: z.literal(apiVersion),
    kind: z.literal(userKind),
    metadata: objectMetaSchema,
    spec: messageBrokerUserSpecSchema,
    status: messageBrokerUserStatusSchema.optional(),
  })
  .meta(
    celRules({
      rule: `size(self.metadata.name) <= ${maxUserNameLength}`,
      message: `metadata.name must be at most ${maxUserNameLength} characters (the credentials Secret appends -credentials)`,
    }),
  )
  .describe(
    "MessageBrokerUser is a user of a MessageBroker: its permissions, and either a token the operator generates or a ServiceAccount's tokens.",
  );

export type MessageBrokerUser = z.infer<typeof messageBrokerUserSchema>;
export type MessageBrokerUserInput = z.input<typeof messageBrokerUserSchema>;
export type MessageBrokerUserStatus = z.infer<typeof messageBrokerUserStatusSchema>;
export type UserConditionType = keyof typeof userConditionTypes;
