/**
 * Swagger UI at /docs in a real browser under the app's security headers: Chromium from Debian's packages
 * (/usr/bin/chromium), headless, driven by playwright-core, with no network beyond loopback. The page must list the
 * REST operations and the browser must report no Content-Security-Policy violation (securitypolicyviolation events
 * and console messages), nor a script error, nor a request outside the service.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, haveChromium, launchChromium, listeningApp } from './support/browser.js';

const SCREENSHOT = path.resolve(import.meta.dirname, 'artifacts/docs.png');

describe('Swagger UI at /docs in Chromium, under the CSP', () => {
  let served: Awaited<ReturnType<typeof listeningApp>>;
  let base: string;
  beforeAll(async () => {
    served = await listeningApp({ graphiql: false });
    base = served.base;
  });
  afterAll(() => served.close());

  it(
    haveChromium
      ? 'lists the operations, with no CSP violation, script error or outside request; saves test/artifacts/docs.png'
      : `skipped: ${CHROMIUM} is absent (apt-get install -y chromium)`,
    async () => {
      if (!haveChromium) {
        expect(existsSync(CHROMIUM)).toBe(false);
        return;
      }
      const browser = await launchChromium();
      const blocked: string[] = [];
      const console: string[] = [];
      const pageErrors: string[] = [];
      try {
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        await context.route('**/*', (route) => {
          const url = new URL(route.request().url());
          if (url.hostname === '127.0.0.1' || url.protocol === 'data:') return route.continue();
          blocked.push(url.href);
          return route.abort();
        });
        // Every violation the page sees, recorded before any of its scripts runs.
        await context.addInitScript(() => {
          const seen: string[] = [];
          (window as unknown as { cspViolations: string[] }).cspViolations = seen;
          document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
        });
        const page = await context.newPage();
        page.on('console', (m) => {
          if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) console.push(m.text());
        });
        page.on('pageerror', (e) => pageErrors.push(e.message));
        const response = await page.goto(`${base}/docs`);
        expect(response?.ok()).toBe(true);
        expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
        await page.waitForSelector('.opblock', { timeout: 30_000 });
        const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path') ?? ''));
        expect(paths).toEqual(
          expect.arrayContaining([
            '/exports/beneficiaries.csv',
            '/exports/payment-cycle-lines.xlsx',
            '/exports/audit-findings.csv',
            '/payments/cycles/{id}/export.csv',
          ]),
        );
        // Opening an operation renders its parameters (more of the UI's code and styles under the policy).
        await page.click('.opblock-summary:has-text("/exports/payment-cycle-lines.csv")');
        await page.waitForSelector('.parameters :text("cycleId")', { timeout: 30_000 });
        mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT });
        expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
        expect(console).toEqual([]);
        expect(pageErrors).toEqual([]);
        expect(blocked).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
