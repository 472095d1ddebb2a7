/**
 * Broker processes for the fault cases: on a persistent store (optionally through a proxy port), on
 * gRPC and HTTP ports fixed up front so that a restart comes back where its clients and peers call.
 */
import { freePort } from "../../../testing/free-port.ts";
import { until } from "../../../testing/until.ts";
import { type BrokerProcess, httpStatus, startBrokerProcess } from "../broker-process.ts";

export interface FaultBroker {
  /** host:port of the gRPC server, the same across restarts. */
  readonly address: string;
  readonly pid: number | undefined;
  /** SIGKILL (if it still runs), and resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts the process again with the same variables and ports; resolves once it is ready. */
  restart(): Promise<void>;
}

const running = (broker: BrokerProcess) =>
  broker.child.exitCode === null && broker.child.signalCode === null;

/** Resolves once the broker is ready; one that never gets there is killed, not left behind. */
async function untilReady(broker: BrokerProcess): Promise<void> {
  try {
    await until("/readyz 200", async () => (await httpStatus(broker, "/readyz")) === 200, {
      timeoutMs: 30_000,
    });
  } catch (err) {
    broker.child.kill("SIGKILL");
    throw err;
  }
}

/** `grpcPort`: when peers must know it before the broker starts. */
export async function startFaultBroker(
  variables: Record<string, string>,
  grpcPort?: number,
): Promise<FaultBroker> {
  const address = `127.0.0.1:${grpcPort ?? (await freePort())}`;
  const env = {
    HERALD_GRPC_ADDR: address,
    HERALD_HTTP_ADDR: `127.0.0.1:${await freePort()}`,
    ...variables,
  };
  let current = await startBrokerProcess(env);
  await untilReady(current);
  const kill = async () => {
    if (!running(current)) return;
    current.child.kill("SIGKILL");
    await current.exited;
  };
  return {
    address,
    get pid() {
      return running(current) ? current.child.pid : undefined;
    },
    kill,
    restart: async () => {
      current = await startBrokerProcess(env);
      await untilReady(current);
    },
  };
}
