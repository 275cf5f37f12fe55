/**
 * GraphQL over HTTP by the spec: graphql-http's server audits against the real listening service (with a
 * bearer token on every request). Every audit must pass: MUSTs, SHOULDs and MAYs alike.
 */
import type { AddressInfo } from 'node:net';
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

describe('GraphQL over HTTP (graphql-http server audits)', () => {
  let t: TestApp;
  let url: string;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/graphql`;
    token = await t.token('district_officer');
  });
  afterAll(async () => {
    await t.close();
  });

  it('passes every audit', async () => {
    const audits = serverAudits({
      url,
      fetchFn: (input: RequestInfo | URL, init?: RequestInit) => {
        const headers = new Headers(init?.headers);
        headers.set('authorization', `Bearer ${token}`);
        return fetch(input, { ...init, headers });
      },
    });
    const results = await Promise.all(audits.map(async (audit) => ({ ...(await audit.fn()), name: audit.name })));
    const counts: Record<string, number> = {};
    for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
    console.log(`[graphql-http] ${results.length} audits: ${JSON.stringify(counts)}`);
    const failing = results.filter((r) => r.status !== 'ok').map((r) => `${r.status}: ${r.name}: ${'reason' in r ? r.reason : ''}`);
    expect(failing).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(61);
  });
});
