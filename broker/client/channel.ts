/**
 * One connection to a broker: the generated client with the library's channel options and TLS
 * (broker/README.md#security).
 */
import { credentials } from "@grpc/grpc-js";
import { BrokerClient } from "../api/gen/broker.ts";

export interface TlsOptions {
  /** PEM CA the broker's certificate must chain to; absent = the system's roots. */
  readonly ca?: Buffer;
  /** PEM client certificate and key, for a broker that requires one (mTLS). */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /**
   * The name the broker's certificate must carry, when the address does not say it: a pod IP or
   * a port-forward to a broker whose certificate names its Service.
   */
  readonly serverName?: string | undefined;
}

/** A channel to `address`; `serverName` overrides the name its certificate is checked against. */
export function connectBroker(
  address: string,
  tls: TlsOptions | undefined,
  serverName = tls?.serverName,
): BrokerClient {
  const channelCredentials =
    tls === undefined
      ? credentials.createInsecure()
      : credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
  return new BrokerClient(address, channelCredentials, {
    ...(tls === undefined || serverName === undefined
      ? {}
      : {
          "grpc.ssl_target_name_override": serverName,
          "grpc.default_authority": serverName,
        }),
    "grpc.enable_channelz": 0,
    "grpc.max_receive_message_length": -1,
    "grpc.max_send_message_length": -1,
  });
}
