/**
 * `npm run console:screenshots`: PNGs of each web console view in docs/images/console-*.png, taken
 * with the Chromium the browser tests drive, from an in-process broker (memory store, a token
 * required) on 127.0.0.1 that a few publishers and consumer groups keep busy for a few seconds,
 * and a load test run from the load view.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Page } from "puppeteer-core";
import { repoRoot } from "../../../testing/paths.ts";
import { MemoryStore } from "../../store/memory/memory-store.ts";
import { startTestBroker } from "../../test/harness.ts";
import { tokenSecurity } from "./auth-file.ts";
import { launchChromium, replaceValue, signedIn, waitForText } from "./browser.ts";
import { buildTestConsole } from "./console-build.ts";
import { startTestGateway } from "./web-client.ts";

const token = "console-demo-token";
const all = [">"];
const imagesDir = join(repoRoot, "docs", "images");
/** Rounds of publishes before the pictures, 250 ms apart: the rate chart's last few seconds. */
const seedRounds = 40;

const broker = await startTestBroker(
  new MemoryStore({ maxMessagesPerSubject: 100_000 }),
  {
    security: tokenSecurity([
      {
        name: "operator",
        token,
        permissions: { publish: all, subscribe: all, fetch: all, consume: all },
      },
    ]),
    retention: { defaultExpirationSeconds: 86_400, maxExpirationSeconds: 604_800 },
  },
  { token },
);
const gateway = await startTestGateway(broker.broker, { consoleDir: await buildTestConsole() });
const client = broker.client();
const consumers = new AbortController();
const browser = await launchChromium();

const shoot = async (page: Page, view: string) => {
  await page.screenshot({ path: join(imagesDir, `console-${view}.png`) });
  console.error(`docs/images/console-${view}.png`);
};

try {
  // Billing acknowledges; fraud-check refuses every third message, which comes again and, at its
  // third attempt, goes to the dead-letter subject.
  void client.consume("billing", "orders.>", () => undefined, { signal: consumers.signal });
  void client.consume(
    "fraud-check",
    "payments.card",
    (message) => {
      if (message.id % 3 === 0) throw new Error("suspicious");
    },
    { signal: consumers.signal, maxDeliveries: 3 },
  );
  // Audit-export joins once and leaves: its lag grows with every audit message.
  const leaving = new AbortController();
  const joined = Promise.withResolvers<void>();
  const left = client
    .consume("audit-export", "audit.>", () => undefined, {
      signal: leaving.signal,
      onJoined: () => joined.resolve(),
    })
    .catch(() => undefined);
  await joined.promise;
  leaving.abort();
  await left;
  const tail = await signedIn(browser, gateway.url, token);
  await tail.goto(`${gateway.url}/#/tail/${encodeURIComponent("orders.>")}`);
  await tail.click("#tail button[type=submit]");
  await tail.waitForSelector('#tail-status[data-status="live"]');

  for (let round = 0; round < seedRounds; round++) {
    const burst = 2 + (round % 8);
    await client.publishBatch([
      ...Array.from({ length: burst }, (_, index) => ({
        subject: index % 2 === 0 ? "orders.eu" : "orders.us",
        body: JSON.stringify({ order: round * 10 + index, total: 19.9 + index }),
      })),
      { subject: "payments.card", body: `{"payment":${round},"amount":42}` },
      { subject: "audit.login", body: `user-${round % 5} signed in` },
    ]);
    if (round === seedRounds - 1) {
      await client.publish("orders.eu", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]));
    }
    await sleep(250);
  }

  await tail.bringToFront();
  await waitForText(tail, "#tail-entries code.preview", "iVBORw0K");
  await shoot(tail, "tail");

  const page = await signedIn(browser, gateway.url, token);
  await waitForText(page, "#subjects tbody tr", "payments.card");
  await shoot(page, "subjects");
  await page.goto(`${gateway.url}/#/cluster`);
  await waitForText(page, "#owners tbody tr", "orders.eu");
  await shoot(page, "cluster");
  await page.goto(`${gateway.url}/#/groups`);
  await waitForText(page, "#groups tbody tr", "fraud-check");
  await waitForText(page, "#groups tbody tr", "audit-export");
  await shoot(page, "groups");
  await page.goto(`${gateway.url}/#/publish/orders.eu`);
  await page.type("#publish textarea[name=body]", '{"order":4711,"total":99.5}');
  await page.click("#publish button[type=submit]");
  await waitForText(page, "#published", "Published");
  await shoot(page, "publish");

  await page.goto(`${gateway.url}/#/load/loadtest.demo`);
  await page.waitForSelector("#load input[name=ratePerSecond]");
  await replaceValue(page, "#load input[name=ratePerSecond]", "300");
  await replaceValue(page, "#load input[name=durationSeconds]", "8");
  await page.click("#load button[type=submit]");
  await page.waitForSelector('#load-status[data-status="done"]', { timeout: 30_000 });
  await shoot(page, "load");

  const signIn = await browser.newPage();
  await signIn.goto(`${gateway.url}/#/signin`);
  await signIn.type("#token", "expired-token");
  await signIn.click("#sign-in");
  await waitForText(signIn, ".error", "401");
  await shoot(signIn, "signin");
} finally {
  consumers.abort();
  await browser.close();
  await gateway.gateway.close();
  await broker.stop();
}
