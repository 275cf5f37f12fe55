// The load test's generator (test/load.test.ts): autocannon in a child process, so that its own work does not
// run on the event loop of the server it measures (in a worker thread autocannon answers without its latency
// summary). The parent sends { url, token, bodies, connections, seconds, rate } and gets the figures back.
// Each body is sent once at most, in order (writes carry unique numbers), at `rate` requests a second overall.
import { once } from 'node:events';
import autocannon from 'autocannon';

const [{ url, token, bodies, connections, seconds, rate }] = await once(process, 'message');
let i = 0;
const result = await autocannon({
  url,
  method: 'POST',
  connections,
  duration: seconds,
  overallRate: rate,
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  // A GraphQL error comes with HTTP 200: count it as a mismatch.
  verifyBody: (body) => !body.includes('"errors"'),
});
process.send({
  sent: i,
  requests: result.requests.total,
  rps: result.requests.average,
  p50: result.latency.p50,
  p90: result.latency.p90,
  p99: result.latency.p99,
  max: result.latency.max,
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  mismatches: result.mismatches ?? 0,
});
process.disconnect();
