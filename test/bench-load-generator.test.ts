/**
 * bench/run.ts measures latency with autocannon when wrk is missing. Run in a worker thread, autocannon answered
 * without latency percentiles and the bench failed; the generator now runs as a child process. This drives it
 * against a local HTTP server and checks that it answers with requests and percentiles.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from 'vitest';
import { runLoadGenerator } from '../bench/load-generator.js';

test('the autocannon load generator reports requests and latency percentiles', async () => {
  let served = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      served += 1;
      res.setHeader('content-type', 'application/json');
      res.end('{"data":{"ok":true}}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  try {
    const result = await runLoadGenerator({ url, bodies: ['{"query":"{ ok }"}'], token: 't', connections: 2, seconds: 1 });
    expect(result.requests).toBeGreaterThan(0);
    expect(result.requests).toBeLessThanOrEqual(served);
    expect(result.failed).toBe(0);
    expect(typeof result.p50).toBe('number');
    expect(result.p99).toBeGreaterThanOrEqual(result.p50);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
