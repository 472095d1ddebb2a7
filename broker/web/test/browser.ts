/**
 * Debian's Chromium, headless, driven over a pipe (no debugging port): pages of the web console
 * on 127.0.0.1. Every wait is bounded.
 */
import { type Browser, launch, type Page } from "puppeteer-core";
import { z } from "zod";
import { chromiumExecutable } from "../../../testing/chromium.ts";

export const waitMs = 15_000;

export function launchChromium(): Promise<Browser> {
  return launch({
    executablePath: chromiumExecutable,
    headless: true,
    pipe: true,
    args: [
      // Root has no user namespace sandbox here; the pages are the console's own.
      "--no-sandbox",
      // Beside puppeteer's own switches that stop background traffic: no host name resolves, so
      // nothing but 127.0.0.1 is reached.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
    defaultViewport: { width: 1280, height: 860 },
  });
}

/**
 * Page-side code is passed as expressions: this program's types have no DOM, so what a page
 * answers is checked with zod instead.
 */
const evaluate = async <T>(page: Page, expression: string, schema: z.ZodType<T>): Promise<T> =>
  schema.parse(await page.evaluate(expression));

const elements = (selector: string) =>
  `[...document.querySelectorAll(${JSON.stringify(selector)})]`;

/** Waits until an element matching `selector` holds `text`; resolves with the element's text. */
export async function waitForText(page: Page, selector: string, text: string): Promise<string> {
  const handle = await page.waitForFunction(
    `${elements(selector)}.map((element) => element.textContent ?? "")` +
      `.find((content) => content.includes(${JSON.stringify(text)})) ?? false`,
    { timeout: waitMs },
  );
  return z.string().parse(await handle.jsonValue());
}

/** The text of the first element matching `selector` (null: none). */
export const textOf = (page: Page, selector: string): Promise<string | null> =>
  evaluate(page, `${elements(selector)}[0]?.textContent ?? null`, z.string().nullable());

/** The attribute `name` of every element matching `selector`. */
export const attributes = (page: Page, selector: string, name: string): Promise<string[]> =>
  evaluate(
    page,
    `${elements(selector)}.map((element) => element.getAttribute(${JSON.stringify(name)}) ?? "")`,
    z.array(z.string()),
  );

/** What the page keeps: sessionStorage's values, how many localStorage entries, the cookies. */
export const storedState = (page: Page) =>
  evaluate(
    page,
    "({ session: Object.values(sessionStorage), local: localStorage.length, cookie: document.cookie })",
    z.object({ session: z.array(z.string()), local: z.number(), cookie: z.string() }),
  );

/** Opens `url` (the console's fragment) in a page signed in with `token`. */
export async function signedIn(browser: Browser, url: string, token: string): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(waitMs);
  await page.goto(`${url}/#/signin`);
  await page.type("#token", token);
  await page.click("#sign-in");
  await page.waitForSelector("#nav-subjects.active");
  return page;
}

/** Waits until the first element matching `selector` reads exactly `text`. */
export async function waitForExactText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    `${elements(selector)}[0]?.textContent?.trim() === ${JSON.stringify(text)}`,
    { timeout: waitMs },
  );
}

/** Replaces what the input matching `selector` holds with `value`, as a user would. */
export async function replaceValue(page: Page, selector: string, value: string): Promise<void> {
  await page.focus(selector);
  await page.keyboard.down("Control");
  await page.keyboard.press("KeyA");
  await page.keyboard.up("Control");
  await page.keyboard.type(value);
}
