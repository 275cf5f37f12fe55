/**
 * Swagger UI at /docs in a real browser under the app's security headers: Chromium from Debian's packages
 * (/usr/bin/chromium), headless, driven by playwright-core, with no network beyond loopback. The page must list the
 * REST operations and the browser must report no Content-Security-Policy violation (securitypolicyviolation events
 * and console messages), nor a script error, nor a request outside the service.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { seedReferenceData } from '../src/reference/reference.js';
import { TEST_JWT } from './support/app.js';
import { openTestDatabase, type TestDatabase } from './support/database.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const SCREENSHOT = path.resolve(import.meta.dirname, 'artifacts/docs.png');

describe('Swagger UI at /docs in Chromium, under the CSP', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    db = await openTestDatabase();
    await seedReferenceData(db.database.db);
    app = await buildApp({ config: { jwt: TEST_JWT, graphiql: false, env: 'test' }, database: db.database });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await db.dispose();
  });

  it(
    haveChromium
      ? 'lists the operations, with no CSP violation, script error or outside request; saves test/artifacts/docs.png'
      : `skipped: ${CHROMIUM} is absent (apt-get install -y chromium)`,
    async () => {
      if (!haveChromium) {
        expect(existsSync(CHROMIUM)).toBe(false);
        return;
      }
      const browser: Browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      });
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
