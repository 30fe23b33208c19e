// Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core.
// In CI (CI=true) a missing browser is an error; locally the caller skips loudly.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM_PATH = process.env.EDGEVAE_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Throws in CI when Chromium is missing; otherwise warns and returns false so tests can skip. */
export function requireChromium(testFile: string): boolean {
  if (chromiumAvailable()) return true;
  if (process.env.CI === 'true') throw new Error(`CI: ${CHROMIUM_PATH} is required by ${testFile} (apt-get install chromium)`);
  console.warn(`\n*** ${testFile}: ${CHROMIUM_PATH} not found; browser tests are SKIPPED ***\n`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * Aborts every request that does not go to `allowedOrigin` (e.g. "http://127.0.0.1:1234") or to an
 * inline data:/blob: URL; returns the list of blocked URLs so the test can assert it stays empty.
 */
export async function allowOnlyOrigin(page: Page, allowedOrigin: string | null): Promise<string[]> {
  const blocked: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    const local = url.startsWith('data:') || url.startsWith('blob:') ||
      (allowedOrigin === null ? url.startsWith('file:') : url.startsWith(`${allowedOrigin}/`) || url === allowedOrigin);
    if (local) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  return blocked;
}

/** Page console errors and uncaught exceptions, for a readable failure message. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  return errors;
}

/** The kiosk's 800x480 screen: the page must fit it without scrolling; its screenshot goes to test-artifacts/<file>. */
export async function expectFitsKioskScreen(page: Page, file: string): Promise<void> {
  const size = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
  expect(size.w).toBeLessThanOrEqual(800);
  expect(size.h).toBeLessThanOrEqual(480);
  const artifacts = join(import.meta.dirname, '..', '..', 'test-artifacts');
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, file) });
}
