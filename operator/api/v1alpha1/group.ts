/** Identity of the MessageBroker API: one place for every name the CRD, RBAC and clients use. */
export const group = "herald.dev";
export const version = "v1alpha1";
export const apiVersion = `${group}/${version}`;
export const kind = "MessageBroker";
export const listKind = "MessageBrokerList";
export const plural = "messagebrokers";
export const singular = "messagebroker";
export const shortNames = ["mb"];
export const categories = ["herald"];

/** The MessageBrokerUser API, in the same group and version: one user of a MessageBroker. */
export const userKind = "MessageBrokerUser";
export const userListKind = "MessageBrokerUserList";
export const userPlural = "messagebrokerusers";
export const userSingular = "messagebrokeruser";
export const userShortNames = ["mbu"];
