/**
 * What the browser tests share: Debian's Chromium (/usr/bin/chromium; playwright-core never downloads a browser),
 * launched headless, and an app on a fresh database with the reference data, listening on loopback for it to load.
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { buildApp } from '../../src/app.js';
import { seedReferenceData } from '../../src/reference/reference.js';
import { TEST_JWT } from './app.js';
import { openTestDatabase } from './database.js';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** The app, with or without GraphiQL, at `base` (http://127.0.0.1:port). */
export async function listeningApp(options: { graphiql: boolean }): Promise<{ base: string; close(): Promise<void> }> {
  const db = await openTestDatabase();
  await seedReferenceData(db.database.db);
  const app = await buildApp({ config: { jwt: TEST_JWT, graphiql: options.graphiql, env: 'test' }, database: db.database });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    async close() {
      await app.close();
      await db.dispose();
    },
  };
}
