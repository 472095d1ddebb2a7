import type { KubernetesObject, V1Secret } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { tokenSha256 } from "../../contract/auth-file.ts";
import { describeApiError } from "../../lib/kube/api-error.ts";
import {
  messageBrokerUserSchema,
  type MessageBroker,
  type MessageBrokerUser,
} from "../api/v1alpha1/index.ts";
import { needsApply, withAppliedHash } from "../kube/apply.ts";
import type { ClusterWriter } from "../kube/writer.ts";
import { clientEndpoints } from "../render/client-service.ts";
import type { RenderContext } from "../render/context.ts";
import { metaTime } from "../status/conditions.ts";
import {
  authFileFor,
  serviceAccountSubject,
  type UserCredentials,
  type UserVerdict,
} from "./auth-file.ts";
import {
  credentialsSecretName,
  generateToken,
  isOwnedByUser,
  renderCredentialsSecret,
  tokenFromSecret,
} from "./credentials-secret.ts";
import { issuerRefreshMs, type ServiceAccountIssuer } from "./service-account-issuer.ts";
import { brokerNotFound, statusChanged, userStatus } from "./status.ts";
import type { UserStatusWriter } from "./status-writer.ts";

/** What a broker's users put in its RenderContext. */
export type UsersRenderInputs = Pick<RenderContext, "authFile" | "serviceAccountIssuer">;

/** The broker reconcile's view of MessageBrokerUsers. */
export interface BrokerUsers {
  /**
   * Brings the broker's users in line (each token user's credentials Secret, every user's
   * status) and returns its auth file and, with authentication on, the API server's issuer.
   */
  renderInputs(
    broker: MessageBroker,
    clientCaBundle: string | undefined,
  ): Promise<UsersRenderInputs>;
  /** Marks the users of a MessageBroker that does not exist as not Ready (BrokerNotFound). */
  brokerMissing(namespace: string, brokerName: string): Promise<void>;
}

export interface BrokerUsersDeps {
  /** The cached MessageBrokerUsers of a namespace. */
  users(namespace: string): readonly KubernetesObject[];
  /** A cached Secret. */
  secret(namespace: string, name: string): KubernetesObject | undefined;
  writer: Pick<ClusterWriter, "apply" | "readSecret">;
  writeStatus: UserStatusWriter;
  issuer: () => Promise<ServiceAccountIssuer>;
  clusterDomain: string;
  /** Reconciles the broker with this key again after a delay (the work queue's addAfter). */
  lookAgainAfter(brokerKey: string, delayMs: number): void;
  log: Logger;
  now?: () => Date;
}

/** How soon a broker whose ServiceAccount users wait for the issuer tries again. */
const issuerRetryMs = 30_000;

export function brokerUsers(deps: BrokerUsersDeps): BrokerUsers {
  const now = () => metaTime((deps.now ?? (() => new Date()))());

  /** The valid users naming `brokerName`; an object the schema refuses is logged and skipped. */
  const usersOf = (namespace: string, brokerName: string): MessageBrokerUser[] =>
    deps.users(namespace).flatMap((raw) => {
      const parsed = messageBrokerUserSchema.safeParse(raw);
      if (!parsed.success) {
        deps.log.error(
          { user: `${namespace}/${raw.metadata?.name ?? ""}`, issues: parsed.error.issues },
          "MessageBrokerUser does not match the schema",
        );
        return [];
      }
      return parsed.data.spec.broker === brokerName && !parsed.data.metadata.deletionTimestamp
        ? [parsed.data]
        : [];
    });

  const writeStatuses = async (
    verdicts: readonly { user: MessageBrokerUser; verdict: UserVerdict }[],
  ) => {
    const time = now();
    for (const { user, verdict } of verdicts) {
      const status = userStatus(user, verdict, time);
      if (statusChanged(user.status, status)) {
        await deps.writeStatus(user.metadata, status);
      }
    }
  };

  /** The user's token, from its Secret or new, with the Secret applied when it differs. */
  const tokenCredentials = async (
    user: MessageBrokerUser,
    address: string,
    caBundle: string | undefined,
  ): Promise<UserCredentials> => {
    const { namespace } = user.metadata;
    const secretName = credentialsSecretName(user.metadata.name);
    // A miss is confirmed with the API server: a Secret written a moment ago may not be cached
    // yet, and a new token would lock out the clients that already read the first one.
    const cached: V1Secret | undefined = deps.secret(namespace, secretName);
    const existing = cached ?? (await deps.writer.readSecret(namespace, secretName));
    if (existing && !isOwnedByUser(existing, user)) {
      return {
        user,
        problem: {
          reason: "SecretConflict",
          message: `Secret ${secretName} exists and does not belong to this user`,
        },
      };
    }
    const token = tokenFromSecret(existing) ?? generateToken();
    const desired = withAppliedHash(renderCredentialsSecret(user, { token, address, caBundle }));
    if (needsApply(desired, existing)) {
      try {
        await deps.writer.apply(desired);
      } catch (err) {
        return {
          user,
          problem: {
            reason: "SecretFailed",
            message: `applying Secret ${secretName}: ${describeApiError(err)}`,
          },
        };
      }
    }
    return { user, identity: { tokenSha256: tokenSha256(token), secretName } };
  };

  return {
    async renderInputs(broker, clientCaBundle) {
      const { namespace, name } = broker.metadata;
      const users = usersOf(namespace, name);
      const address = clientEndpoints(broker, deps.clusterDomain).grpc;
      const { enabled: authEnabled } = broker.spec.auth;
      // Every broker with authentication trusts the issuer from the start, whether or not a user
      // names a ServiceAccount yet: adding its settings later would change the pod template and
      // restart the brokers, and a user's arrival should only be an auth-file reload.
      const issuer = authEnabled ? await issuerOrProblem(deps) : undefined;
      // No watch announces rotated keys or an issuer back up: the broker is looked at again.
      if (issuer) {
        const delay = "value" in issuer ? issuerRefreshMs : issuerRetryMs;
        deps.lookAgainAfter(`${namespace}/${name}`, delay);
      }
      const credentials = await Promise.all(
        users.map(async (user): Promise<UserCredentials> => {
          const account = user.spec.serviceAccount;
          if (account === undefined) return tokenCredentials(user, address, clientCaBundle);
          if (issuer && "problem" in issuer) return { user, problem: issuer.problem };
          return { user, identity: { jwtSubject: serviceAccountSubject(namespace, account) } };
        }),
      );
      const { authFile, verdicts } = authFileFor(credentials);
      await writeStatuses(authEnabled ? verdicts : verdicts.map(authDisabled(name)));
      return {
        authFile,
        ...(issuer && "value" in issuer ? { serviceAccountIssuer: issuer.value } : {}),
      };
    },

    async brokerMissing(namespace, brokerName) {
      const users = usersOf(namespace, brokerName);
      await writeStatuses(users.map((user) => ({ user, verdict: brokerNotFound(user) })));
    },
  };
}

/** Without authentication the brokers read no auth file: a user is not refused, but not in force either. */
const authDisabled =
  (brokerName: string) =>
  ({ user, verdict }: { user: MessageBrokerUser; verdict: UserVerdict }) => ({
    user,
    verdict: verdict.ready
      ? {
          ready: false as const,
          reason: "AuthDisabled",
          message: `MessageBroker ${brokerName} has spec.auth.enabled false: it takes every client's calls`,
        }
      : verdict,
  });

/** The issuer, or why ServiceAccount users cannot be accepted right now. */
async function issuerOrProblem(
  deps: BrokerUsersDeps,
): Promise<{ value: ServiceAccountIssuer } | { problem: { reason: string; message: string } }> {
  try {
    return { value: await deps.issuer() };
  } catch (err) {
    const message = `reading the API server's ServiceAccount token issuer: ${describeApiError(err)}`;
    deps.log.warn({ err }, message);
    return { problem: { reason: "IssuerUnavailable", message } };
  }
}
