import type { MessageBroker, MessageBrokerStatus } from "../api/v1alpha1/index.ts";
import { tlsSource } from "../render/tls.ts";

const tlsNames = {
  operator: "OperatorCA",
  "cert-manager": "CertManager",
  secret: "Secret",
  disabled: "Disabled",
} as const;

/** What the TLS and Auth printer columns show. */
export function securityStatus(broker: MessageBroker): MessageBrokerStatus["security"] {
  return {
    tls: tlsNames[tlsSource(broker).kind],
    auth: broker.spec.auth.enabled ? "Enabled" : "Disabled",
  };
}
