/**
 * Debian's Chromium, which the web console's browser tests and its screenshots drive headless.
 * The test environment installs it (e2e/env/parts/chromium.ts); HERALD_CHROMIUM names another.
 */
export const chromiumExecutable = process.env.HERALD_CHROMIUM ?? "/usr/bin/chromium";
