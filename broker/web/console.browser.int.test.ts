/**
 * The web console in Debian's Chromium, headless, against a broker with authentication on and its
 * gateway serving the console built as `npm run build` builds it: signing in (a wrong token shows
 * the gateway's 401, not a blank page), publishing through the form and seeing the message in the
 * live tail, pause and resume from the last id, the subjects page with its last id, the groups page
 * after a Consume, a group's lag rising without members and falling once one acks, a publish
 * outside the token's permissions refused with PERMISSION_DENIED, a bounded load test run by the
 * broker, and the cluster page with this member. Without authentication: signing in with no token
 * and a pattern tail that names each message's subject.
 */
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { HeraldClient } from "../client/herald-client.ts";
import { startTestBroker, type TestBroker, uniqueSubject } from "../test/harness.ts";
import { brokerTestStores } from "../test/test-stores.ts";
import { tokenSecurity } from "./test/auth-file.ts";
import {
  attributes,
  launchChromium,
  replaceValue,
  signedIn,
  storedState,
  textOf,
  waitForExactText,
  waitForText,
} from "./test/browser.ts";
import { buildTestConsole } from "./test/console-build.ts";
import { startTestGateway, type TestGateway } from "./test/web-client.ts";

const token = "console-operator-token";
const granted = ["console.>", "$DLQ.console-workers.>"];
/** A token allowed `a.>` only. */
const limitedToken = "console-limited-token";

describe("web console in Chromium", () => {
  let broker: TestBroker;
  let client: HeraldClient;
  let gateway: TestGateway;
  let browser: Browser;
  const consumer = new AbortController();

  beforeAll(async () => {
    const security = tokenSecurity([
      {
        name: "console-operator",
        token,
        permissions: { publish: granted, subscribe: granted, fetch: granted, consume: granted },
      },
      {
        name: "console-limited",
        token: limitedToken,
        permissions: { publish: ["a.>"], subscribe: ["a.>"], fetch: ["a.>"], consume: ["a.>"] },
      },
    ]);
    broker = await startTestBroker(
      brokerTestStores(inject("testEnv"), "memory", "console").newStore(),
      { security },
      { token },
    );
    client = broker.client();
    gateway = await startTestGateway(broker.broker, { consoleDir: await buildTestConsole() });
    browser = await launchChromium();
  });

  afterAll(async () => {
    consumer.abort();
    await browser?.close();
    await gateway?.gateway.close();
    await broker?.stop();
  });

  const publishViaApi = async (subject: string, body: string | Buffer) => {
    const response = await fetch(
      `${gateway.url}/v1/subjects/${encodeURIComponent(subject)}/messages`,
      { method: "POST", body, headers: { authorization: `Bearer ${token}` } },
    );
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: number }).id;
  };
  const tailIds = (page: Page) => attributes(page, "#tail-entries tbody tr", "data-id");

  it("shows the gateway's refusal of a wrong token, and keeps the token in sessionStorage only", async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway.url}/`);
    await page.type("#token", "not-a-token");
    await page.click("#sign-in");
    const refusal = await waitForText(page, ".error", "401 UNAUTHENTICATED");
    expect(refusal).toMatch(/^401 UNAUTHENTICATED: /);
    expect(await page.$("#token")).not.toBeNull();

    await page.click("#token", { count: 3 });
    await page.type("#token", token);
    await page.click("#sign-in");
    await page.waitForSelector("#nav-subjects.active");
    expect(await storedState(page)).toEqual({ session: [token], local: 0, cookie: "" });
    await page.close();
  });

  it("serves the page with a strict Content-Security-Policy and cacheable hashed bundles", async () => {
    const page = await fetch(`${gateway.url}/`);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'(;|$)/);
    const html = await page.text();
    const script = /src="(\/assets\/app-[\w]+\.js)"/.exec(html)?.[1];
    expect(html).not.toMatch(/<script>/);
    const bundle = await fetch(`${gateway.url}${script ?? "/missing"}`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(bundle.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    await bundle.body?.cancel();
  });

  it("publishes through the form and shows the message in the live tail; pause and resume miss nothing", async () => {
    const subject = uniqueSubject("console.tail");
    const tail = await signedIn(browser, gateway.url, token);
    await tail.goto(`${gateway.url}/#/tail/${encodeURIComponent(subject)}`);
    await tail.click("#tail button[type=submit]");
    await tail.waitForSelector('#tail-status[data-status="live"]');

    const form = await signedIn(browser, gateway.url, token);
    await form.goto(`${gateway.url}/#/publish/${encodeURIComponent(subject)}`);
    await form.type("#publish textarea[name=body]", "hello from the form");
    await form.click("#publish button[type=submit]");
    expect(await waitForText(form, "#published", "id 1")).toContain(subject);
    expect(await waitForText(tail, "#tail-entries code.preview", "hello from the form")).toBe(
      "hello from the form",
    );

    // A background tab gets no animation frames, which a click waits for.
    await tail.bringToFront();
    await tail.click("#pause");
    await tail.waitForSelector('#tail-status[data-status="paused"]');
    await publishViaApi(subject, "while paused");
    await publishViaApi(subject, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    expect(await tailIds(tail)).toEqual(["1"]);

    await tail.click("#resume");
    await waitForText(tail, "#tail-entries code.preview", "3q2+7w==");
    expect(await tailIds(tail)).toEqual(["3", "2", "1"]);
    expect(await waitForText(tail, "#tail-entries tr[data-id='3']", "base64")).toContain("4 B");
    await Promise.all([tail.close(), form.close()]);
  });

  it("lists the subject with its last id on the subjects page", async () => {
    const subject = uniqueSubject("console.listed");
    for (const body of ["a", "b", "c"]) await publishViaApi(subject, body);
    const page = await signedIn(browser, gateway.url, token);
    const row = await waitForText(page, "#subjects tbody tr", subject);
    expect(row).toContain(subject);
    expect(await textOf(page, `#subjects tr[data-subject="${subject}"] .last-id`)).toBe("3");
    await page.close();
  });

  it("shows a consumer group with its member after a Consume", async () => {
    const subject = uniqueSubject("console.work");
    const joined = Promise.withResolvers<void>();
    void client.consume("console-workers", subject, () => undefined, {
      signal: consumer.signal,
      onJoined: () => joined.resolve(),
    });
    await joined.promise;
    const page = await signedIn(browser, gateway.url, token);
    await page.goto(`${gateway.url}/#/groups`);
    await waitForText(page, "#groups tbody tr", "console-workers");
    expect(await textOf(page, '#groups tr[data-group="console-workers"] .members')).toBe("1");
    await page.close();
  });

  it("shows a group's lag rise while it has no member, and fall to 0 once a member acks", async () => {
    const subject = uniqueSubject("console.lag");
    const group = `console-lag-${subject.split(".").at(-1) ?? ""}`;
    const row = `#groups tr[data-group="${group}"]`;
    // The group is created by its first member, which leaves at once: nobody consumes.
    const first = new AbortController();
    const created = Promise.withResolvers<void>();
    const left = client
      .consume(group, subject, () => undefined, {
        signal: first.signal,
        onJoined: () => created.resolve(),
      })
      .catch(() => undefined);
    await created.promise;
    first.abort();
    await left;

    const page = await signedIn(browser, gateway.url, token);
    await page.goto(`${gateway.url}/#/groups`);
    await waitForExactText(page, `${row} .lag`, "0");
    for (const body of ["one", "two"]) await publishViaApi(subject, body);
    await waitForExactText(page, `${row} .lag`, "2");
    for (const body of ["three", "four", "five"]) await publishViaApi(subject, body);
    await waitForExactText(page, `${row} .lag`, "5");
    expect(await textOf(page, `${row} .members`)).toBe("0");

    const acked: number[] = [];
    void client.consume(group, subject, (message) => void acked.push(message.id), {
      signal: consumer.signal,
    });
    await waitForExactText(page, `${row} .lag`, "0");
    await waitForExactText(page, `${row} .ack-pending`, "0");
    expect(await textOf(page, `${row} .pending`)).toBe("0");
    expect(acked.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await attributes(page, `${row} .dead-lettered a`, "href")).toEqual([
      `#/tail/${encodeURIComponent(`$DLQ.${group}.>`)}`,
    ]);
    await page.close();
  });

  it("shows PERMISSION_DENIED for a publish outside the token's permissions, and lists only what it may read", async () => {
    const allowed = uniqueSubject("a.console");
    await publishViaApi(uniqueSubject("console.hidden"), "not for a.>");
    const page = await signedIn(browser, gateway.url, limitedToken);
    await page.goto(`${gateway.url}/#/publish/${encodeURIComponent("b.x")}`);
    await page.type("#publish textarea[name=body]", "outside");
    await page.click("#publish button[type=submit]");
    const refusal = await waitForText(page, ".error strong", "PERMISSION_DENIED");
    expect(refusal).toBe('403 PERMISSION_DENIED: console-limited may not publish "b.x"');

    await replaceValue(page, "#publish input[name=subject]", allowed);
    await page.click("#publish button[type=submit]");
    await waitForText(page, "#published", allowed);
    await page.goto(`${gateway.url}/#/subjects`);
    await waitForText(page, "#subjects tbody tr", allowed);
    const listed = await attributes(page, "#subjects tbody tr", "data-subject");
    expect(listed.every((subject) => subject.startsWith("a."))).toBe(true);
    await page.close();
  });

  it("runs a bounded load test and shows its throughput and latency", async () => {
    const subject = uniqueSubject("console.load");
    const page = await signedIn(browser, gateway.url, token);
    await page.goto(`${gateway.url}/#/load/${encodeURIComponent(subject)}`);
    await page.waitForSelector("#load input[name=ratePerSecond][max='500']");
    await replaceValue(page, "#load input[name=ratePerSecond]", "20");
    await replaceValue(page, "#load input[name=bodyBytes]", "64");
    await replaceValue(page, "#load input[name=durationSeconds]", "2");
    await page.click("#load button[type=submit]");
    await page.waitForSelector('#load-status[data-status="done"]');
    const summary = await textOf(page, "#load-summary");
    expect(summary).toMatch(
      /^published 40 in [\d.]+ s \(\d+ \/ s\), delivered 40 \(\d+ \/ s\); latency p50 /,
    );
    expect(await page.$$("#load-throughput canvas")).toHaveLength(1);
    expect(await page.$$("#load-latency canvas")).toHaveLength(1);
    expect((await broker.client().fetch(subject, 40)).body.length).toBe(64);
    await page.close();
  });

  it("shows this member, its epoch and health on the cluster page", async () => {
    const page = await signedIn(browser, gateway.url, token);
    await page.goto(`${gateway.url}/#/cluster`);
    const { self } = broker.broker.cluster();
    expect(await waitForText(page, "#members tbody tr", self)).toContain("this member");
    expect(await textOf(page, "#health")).toBe("ready");
    expect(await textOf(page, "#epoch")).toBe("1");
    await page.close();
  });
});

describe("web console in Chromium on a broker without authentication", () => {
  let broker: TestBroker;
  let gateway: TestGateway;
  let browser: Browser;

  beforeAll(async () => {
    broker = await startTestBroker(
      brokerTestStores(inject("testEnv"), "memory", "console_open").newStore(),
    );
    gateway = await startTestGateway(broker.broker, { consoleDir: await buildTestConsole() });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.gateway.close();
    await broker?.stop();
  });

  it("signs in with no token and tails a pattern, naming each message's subject", async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway.url}/`);
    await page.click("#no-token");
    await page.waitForSelector("#nav-subjects.active");
    expect(await storedState(page)).toEqual({ session: [""], local: 0, cookie: "" });

    const prefix = uniqueSubject("console.pattern");
    await page.goto(`${gateway.url}/#/tail/${encodeURIComponent(`${prefix}.*`)}`);
    await page.click("#tail button[type=submit]");
    await page.waitForSelector('#tail-status[data-status="live"]');
    const client = broker.client();
    await client.publish(`${prefix}.eu`, "to eu");
    await client.publish(`${prefix}.us`, "to us");
    await waitForText(page, "#tail-entries code.preview", "to us");
    const subjects = await attributes(page, "#tail-entries tbody tr", "data-subject");
    expect(subjects).toEqual([`${prefix}.us`, `${prefix}.eu`]);
    await page.close();
  });
});
