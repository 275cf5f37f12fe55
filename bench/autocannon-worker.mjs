// bench/run.ts's load generator when wrk is not installed: autocannon in a child process, so that its work runs
// on a core of its own beside the bench's. A worker thread would be lighter, but autocannon returns its raw
// counters without latency percentiles when it is not on a main thread (it takes itself for one of its own
// workers): `result.latency` was undefined there. The parent sends { url, bodies, token, connections, seconds }.
import autocannon from 'autocannon';

process.once('message', async ({ url, bodies, token, connections, seconds }) => {
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
  process.send(
    {
      requests: result.requests.total,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.timeouts + result.non2xx + (result.mismatches ?? 0),
    },
    () => process.exit(0),
  );
});
