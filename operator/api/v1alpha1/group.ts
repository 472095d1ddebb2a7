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
