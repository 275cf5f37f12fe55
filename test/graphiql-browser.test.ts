/**
 * GraphiQL in a real browser with no network beyond loopback: Chromium from Debian's packages
 * (/usr/bin/chromium), headless, driven by playwright-core (which never downloads a browser here). Every
 * request to anything but 127.0.0.1 is blocked and counted, so a CDN dependency fails the test.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService } from '../src/modules/auth/auth.service.js';
import { TEST_JWT } from './support/app.js';
import { CHROMIUM, haveChromium, launchChromium, listeningApp } from './support/browser.js';

const SCREENSHOT = path.resolve(import.meta.dirname, 'artifacts/graphiql.png');
const README_COMMUNES = '{ adminUnits(level: COMMUNE) { code name kind validTo successor { name } } }';

describe('GraphiQL in Chromium, offline', () => {
  let served: Awaited<ReturnType<typeof listeningApp>>;
  let base: string;
  beforeAll(async () => {
    served = await listeningApp({ graphiql: true });
    base = served.base;
  });
  afterAll(() => served.close());

  it('serves the page and its assets from the service, none from a CDN (checked without a browser too)', async () => {
    const html = await (await fetch(`${base}/graphiql`)).text();
    expect(html).not.toMatch(/unpkg|jsdelivr|cdnjs|https?:\/\/(?!127\.0\.0\.1)/);
    for (const asset of ['react.js', 'react-dom.js', 'graphiql.js', 'graphiql.css']) {
      const res = await fetch(`${base}/graphiql/assets/${asset}`);
      expect(res.status, asset).toBe(200);
      expect((await res.text()).length, asset).toBeGreaterThan(1000);
    }
    expect((await fetch(`${base}/graphiql/assets/..%2Fpackage.json`)).status).toBe(404);
  });

  it(
    haveChromium
      ? 'signs in, lists beneficiaries in the docs explorer, runs the README commune query, saves test/artifacts/graphiql.png'
      : `browser part skipped: ${CHROMIUM} is absent (apt-get install -y chromium)`,
    async () => {
      if (!haveChromium) {
        expect(existsSync(CHROMIUM)).toBe(false);
        return;
      }
      const token = await createAuthService(TEST_JWT).issueToken({ sub: 'test-graphiql', role: 'district_officer' });
      const browser = await launchChromium();
      const blocked: string[] = [];
      try {
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        await context.route('**/*', (route) => {
          const url = new URL(route.request().url());
          if (url.hostname === '127.0.0.1') return route.continue();
          blocked.push(url.href);
          return route.abort();
        });
        const page = await context.newPage();
        const pageErrors: string[] = [];
        page.on('pageerror', (e) => pageErrors.push(e.message));
        await page.goto(`${base}/graphiql`);
        await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
        await expect.poll(() => page.textContent('#status')).toMatch(/Not signed in/);

        await page.fill('#token', `Authorization: Bearer ${token}`);
        await page.click('#sign-in');
        await expect.poll(() => page.textContent('#status')).toMatch(/^Signed in/);
        expect(await page.evaluate(() => sessionStorage.getItem('an-sinh.token'))).toBe(token);
        expect(await page.evaluate(() => localStorage.getItem('an-sinh.token'))).toBeNull();

        // The docs explorer lists the root fields once the schema has loaded with the token.
        await page.click('button[aria-label="Show Documentation Explorer"]');
        await page.click('.graphiql-doc-explorer a.graphiql-doc-explorer-type-name:has-text("Query")', { timeout: 30_000 });
        await page.waitForSelector('.graphiql-doc-explorer :text("beneficiaries")', { timeout: 30_000 });

        // The README's commune query, run with the execute button.
        await page.evaluate((q) => {
          const cm = document.querySelector<Element & { CodeMirror?: { setValue(v: string): void } }>('.graphiql-query-editor .CodeMirror');
          cm?.CodeMirror?.setValue(q);
        }, README_COMMUNES);
        await page.click('.graphiql-execute-button');
        const readResult = () =>
          page.evaluate(() => {
            const cm = document.querySelector<Element & { CodeMirror?: { getValue(): string } }>('.result-window .CodeMirror');
            return cm?.CodeMirror?.getValue() ?? '';
          });
        await expect.poll(readResult, { timeout: 30_000 }).toContain('adminUnits');
        const result = JSON.parse(await readResult()) as { data?: { adminUnits?: { code: string; name: string }[] }; errors?: unknown };
        expect(result.errors).toBeUndefined();
        expect(result.data?.adminUnits?.find((u) => u.code === '24865')?.name).toMatch(/Đạ Sar/);

        mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT });
        expect(existsSync(SCREENSHOT)).toBe(true);
        expect(pageErrors).toEqual([]);
        expect(blocked).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
