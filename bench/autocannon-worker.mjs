// bench/run.ts's load generator when wrk is not installed: autocannon in a worker thread, so that its
// work runs on its own thread beside the bench's. workerData: { url, bodies, token, connections, seconds }.
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';

const { url, bodies, token, connections, seconds } = workerData;
let i = 0;
const result = await autocannon({
  url,
  method: 'POST',
  connections,
  duration: seconds,
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  // A GraphQL error comes with HTTP 200: count it as an error too.
  verifyBody: (body) => !body.includes('"errors"'),
});
parentPort.postMessage({
  requests: result.requests.total,
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  errors: result.errors + result.timeouts + result.non2xx + (result.mismatches ?? 0),
});
