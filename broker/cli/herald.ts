#!/usr/bin/env node
/**
 * `herald`: publish, fetch and subscribe from a terminal.
 *
 *   herald publish SUBJECT BODY [--ttl SECONDS] [--key KEY]
 *   herald publish SUBJECT --stdin [--ttl SECONDS] [--key KEY]   (each line one message, over one stream)
 *   herald fetch SUBJECT ID
 *   herald subscribe SUBJECT [--from ID]
 *   herald consume GROUP SUBJECT [--max-in-flight N] [--ack-wait MS]   (acks each printed line)
 *   herald groups [GROUP]   (consumer groups with their settings, pending messages and lag)
 *
 * Global options: --addr HOST:PORT (default $HERALD_ADDR or 127.0.0.1:50051)
 * and --json (one JSON object per line instead of human-readable text). Security
 * (broker/README.md#security): --tls-ca FILE (or $HERALD_TLS_CA) turns TLS on,
 * --tls-cert/--tls-key FILE present a client certificate, --tls-server-name
 * NAME (or $HERALD_TLS_SERVER_NAME) checks the certificate for NAME instead of
 * the address's host, --token (or $HERALD_TOKEN) sends a bearer token.
 */
import { type ServiceError, status } from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import type { GroupInfo } from "../api/gen/broker.ts";
import {
  HeraldClient,
  type HeraldClientOptions,
  type ReceivedMessage,
} from "../client/herald-client.ts";

const nonNegative = z.coerce.number().int().min(0);
const positive = z.coerce.number().int().min(1);

/** A commander argument parser backed by a zod schema. */
const parseWith = (schema: z.ZodType<number>, expected: string) => (raw: string) => {
  const parsed = schema.safeParse(raw);
  if (!parsed.success || !/^\d+$/.test(raw))
    throw new InvalidArgumentError(`expected ${expected}, got "${raw}"`);
  return parsed.data;
};

interface GlobalOptions {
  readonly addr: string;
  readonly json: boolean;
  readonly tls: boolean;
  readonly tlsCa?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsServerName?: string;
  readonly token?: string;
}

/** The client's TLS and credential from the options; TLS when any TLS option is given. */
function securityOptions(options: GlobalOptions): HeraldClientOptions {
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    program.error("herald: --tls-cert and --tls-key go together");
  }
  const read = (path: string | undefined) => (path === undefined ? undefined : readFileSync(path));
  const tls =
    options.tls ||
    options.tlsCa !== undefined ||
    options.tlsCert !== undefined ||
    options.tlsServerName !== undefined
      ? {
          ca: read(options.tlsCa),
          cert: read(options.tlsCert),
          key: read(options.tlsKey),
          serverName: options.tlsServerName,
        }
      : undefined;
  return { tls, token: options.token };
}

/** The body as text when it is valid UTF-8, otherwise base64 (JSON) or raw bytes (human). */
function describeBody(body: Buffer): { body: string } | { bodyBase64: string } {
  try {
    return { body: new TextDecoder("utf-8", { fatal: true }).decode(body) };
  } catch {
    return { bodyBase64: body.toString("base64") };
  }
}

function printMessage(subject: string, message: ReceivedMessage, json: boolean): void {
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ subject, id: message.id, ...describeBody(message.body) })}\n`,
    );
  } else {
    process.stdout.write(`${subject}#${message.id}\t`);
    process.stdout.write(message.body);
    process.stdout.write("\n");
  }
}

function failureLine(err: unknown): string {
  const serviceError = err as Partial<ServiceError>;
  if (typeof serviceError.code === "number") {
    return `herald: ${status[serviceError.code] ?? serviceError.code}: ${serviceError.details ?? serviceError.message ?? ""}`;
  }
  return `herald: ${err instanceof Error ? err.message : String(err)}`;
}

/** A group's counts over its subjects. */
function groupTotals(group: GroupInfo) {
  const sum = (count: (subject: GroupInfo["subjects"][number]) => number) =>
    group.subjects.reduce((total, subject) => total + count(subject), 0);
  return {
    pending: sum((subject) => subject.pending),
    ackPending: sum((subject) => subject.ackPending),
    lag: sum((subject) => subject.lag),
  };
}

/** One row per group (its totals), then one per subject, in aligned columns. */
function printGroups(groups: readonly GroupInfo[], json: boolean): void {
  if (json) {
    for (const group of groups)
      process.stdout.write(`${JSON.stringify({ ...group, ...groupTotals(group) })}\n`);
    return;
  }
  const rows = [
    ["GROUP", "SUBJECT", "PENDING", "ACK-PENDING", "LAG", "ACK-WAIT", "MAX-DELIVERIES"],
  ];
  for (const group of groups) {
    const totals = groupTotals(group);
    rows.push([
      group.group,
      group.subject,
      String(totals.pending),
      String(totals.ackPending),
      String(totals.lag),
      `${group.ackWaitMs}ms`,
      String(group.maxDeliveries),
    ]);
    for (const subject of group.subjects) {
      const counts = [subject.pending, subject.ackPending, subject.lag].map(String);
      rows.push(["", `  ${subject.subject}`, ...counts, "", ""]);
    }
  }
  const widths = rows[0]?.map((_, column) =>
    Math.max(...rows.map((row) => row[column]?.length ?? 0)),
  );
  for (const row of rows) {
    const cells = row.map((cell, column) => cell.padEnd(widths?.[column] ?? 0));
    process.stdout.write(`${cells.join("  ").trimEnd()}\n`);
  }
}

async function withClient(
  options: GlobalOptions,
  run: (client: HeraldClient) => Promise<void>,
): Promise<void> {
  let client: HeraldClient;
  try {
    client = new HeraldClient(options.addr, securityOptions(options));
  } catch (err) {
    console.error(failureLine(err));
    process.exitCode = 1;
    return;
  }
  try {
    await run(client);
  } catch (err) {
    console.error(failureLine(err));
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

/** Publishes written to the stream and not yet answered while reading stdin; bounds the CLI's memory. */
const stdinWindow = 256;

/** Publishes each line of stdin as one message, pipelined over one PublishStream; prints ids in order. */
async function publishLines(
  client: HeraldClient,
  subject: string,
  ttlSeconds: number,
  key: string | undefined,
  print: (id: number) => void,
): Promise<void> {
  const publisher = client.publisher();
  let lineNumber = 0;
  const pending: Promise<void>[] = [];
  const report = (err: unknown) => {
    console.error(failureLine(err));
    process.exitCode = 1;
  };
  try {
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      lineNumber += 1;
      // Line N's key is KEY:N, so feeding the same input again stores nothing twice.
      const idempotencyKey = key === undefined ? undefined : `${key}:${lineNumber}`;
      // Acks come in send order, so the ids print in line order.
      pending.push(
        publisher.publish(subject, line, { ttlSeconds, idempotencyKey }).then(print, report),
      );
      if (pending.length >= stdinWindow) await pending.shift();
    }
    await Promise.all(pending);
  } finally {
    await publisher.close();
  }
}

const program = new Command("herald")
  .description("Publish, fetch and subscribe on a Herald broker")
  .option("--addr <host:port>", "broker address", process.env.HERALD_ADDR ?? "127.0.0.1:50051")
  .option("--json", "print one JSON object per line", false)
  .option("--tls", "connect with TLS, trusting the system's CAs", false)
  .option(
    "--tls-ca <file>",
    "PEM CA of the broker's certificate; implies --tls",
    process.env.HERALD_TLS_CA,
  )
  .option("--tls-cert <file>", "PEM client certificate (mTLS); implies --tls")
  .option("--tls-key <file>", "PEM key of --tls-cert")
  .option(
    "--tls-server-name <name>",
    "name the broker's certificate must carry when --addr is an IP (a pod IP, a port-forward); implies --tls",
    process.env.HERALD_TLS_SERVER_NAME,
  )
  .option("--token <token>", "bearer token (auth-file token or JWT)", process.env.HERALD_TOKEN)
  .showHelpAfterError();

const globals = () => program.opts<GlobalOptions>();

interface PublishCommandOptions {
  readonly ttl: number;
  readonly stdin: boolean;
  readonly key?: string;
}

program
  .command("publish")
  .description("publish BODY (or each line of stdin) to SUBJECT and print the message id")
  .argument("<subject>")
  .argument("[body]")
  .option("--stdin", "publish each line of standard input, pipelined over one stream", false)
  .option(
    "--ttl <seconds>",
    "expire after this many seconds (0 = never)",
    parseWith(nonNegative, "seconds ≥ 0"),
    0,
  )
  .option(
    "--key <key>",
    "idempotency key: a repeat within the broker's duplicate window prints the first id and stores nothing",
  )
  .action((subject: string, body: string | undefined, options: PublishCommandOptions) => {
    if ((body === undefined) === !options.stdin)
      program.error("herald: publish takes a BODY or --stdin (one of them)");
    const print = (id: number) =>
      process.stdout.write(
        globals().json ? `${JSON.stringify({ subject, id })}\n` : `published ${subject}#${id}\n`,
      );
    return withClient(globals(), async (client) => {
      if (body === undefined) await publishLines(client, subject, options.ttl, options.key, print);
      else
        print(
          await client.publish(subject, body, {
            ttlSeconds: options.ttl,
            idempotencyKey: options.key,
          }),
        );
    });
  });

program
  .command("fetch")
  .description("print message ID of SUBJECT")
  .argument("<subject>")
  .argument("<id>", "message id", parseWith(positive, "a positive integer id"))
  .action((subject: string, id: number) =>
    withClient(globals(), async (client) =>
      printMessage(subject, await client.fetch(subject, id), globals().json),
    ),
  );

program
  .command("subscribe")
  .description(
    "print messages of SUBJECT as they arrive (Ctrl-C to stop); resumes after disconnects",
  )
  .argument("<subject>")
  .option(
    "--from <id>",
    "first replay stored messages from this id",
    parseWith(positive, "a positive integer id"),
  )
  .action((subject: string, options: { from?: number }) =>
    withClient(globals(), async (client) => {
      const interrupted = new AbortController();
      process.once("SIGINT", () => interrupted.abort());
      const messages = client.subscribe(subject, {
        startId: options.from,
        resume: true,
        signal: interrupted.signal,
      });
      for await (const message of messages) {
        printMessage(subject, message, globals().json);
      }
    }),
  );

program
  .command("consume")
  .description(
    "join consumer GROUP on SUBJECT (or a pattern) and print each delivery, acknowledging it once printed (Ctrl-C to stop)",
  )
  .argument("<group>")
  .argument("<subject>")
  .option(
    "--max-in-flight <n>",
    "deliveries held unacknowledged at most (default: the broker's)",
    parseWith(positive, "a positive integer"),
  )
  .option(
    "--ack-wait <ms>",
    "redeliver after this long without an ack, for a new group (default: the broker's)",
    parseWith(positive, "a positive number of milliseconds"),
  )
  .action((group: string, subject: string, options: { maxInFlight?: number; ackWait?: number }) =>
    withClient(globals(), async (client) => {
      const interrupted = new AbortController();
      process.once("SIGINT", () => interrupted.abort());
      // Printing is synchronous, so a line is written before its ack is sent.
      await client.consume(
        group,
        subject,
        (message) => printMessage(message.subject, message, globals().json),
        {
          maxInFlight: options.maxInFlight,
          ackWaitMs: options.ackWait,
          signal: interrupted.signal,
        },
      );
    }),
  );

program
  .command("groups")
  .description(
    "list the consumer groups you may consume (or only GROUP): settings, and per subject pending, ack-pending and lag",
  )
  .argument("[group]")
  .action((group: string | undefined) =>
    withClient(globals(), async (client) =>
      printGroups(await client.listGroups(group), globals().json),
    ),
  );

await program.parseAsync();
