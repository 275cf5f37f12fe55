// The load generator of the benches (bench/run.ts when wrk is not installed, bench/row-security.ts) and of the load
// test (test/load.test.ts): autocannon in a child process, so that its work runs on a core of its own and not on the
// event loop of the server it measures. A worker thread would be lighter, but autocannon returns its raw counters
// without latency percentiles when it is not on a main thread (it takes itself for one of its own workers).
// Started by bench/load-generator.ts, which sends { url, bodies, token, connections, seconds, rate? } and gets the
// figures back. Bodies are sent in order, each once until they run out; `rate` caps requests a second overall.
import { once } from 'node:events';
import autocannon from 'autocannon';

const [{ url, bodies, token, connections, seconds, rate }] = await once(process, 'message');
let sent = 0;
const result = await autocannon({
  url,
  method: 'POST',
  connections,
  duration: seconds,
  ...(rate ? { overallRate: rate } : {}),
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  requests: [{ setupRequest: (req) => ({ ...req, body: bodies[sent++ % bodies.length] }) }],
  // A GraphQL error comes with HTTP 200: count it as a mismatch.
  verifyBody: (body) => !body.includes('"errors"'),
});
const mismatches = result.mismatches ?? 0;
process.send(
  {
    sent,
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    mismatches,
    failed: result.errors + result.timeouts + result.non2xx + mismatches,
  },
  () => process.exit(0),
);
