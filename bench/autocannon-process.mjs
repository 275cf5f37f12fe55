// autocannon in a child process of its own (bench/row-security.ts). Not a worker thread: autocannon 9 takes a
// non-main thread for one of its own workers and returns no latency figures there. The settings come as one JSON
// argument { url, bodies, token, connections, seconds }; the result is one JSON line on stdout.
import autocannon from 'autocannon';

const { url, bodies, token, connections, seconds } = JSON.parse(process.argv[2]);
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
console.log(
  JSON.stringify({
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx + (result.mismatches ?? 0),
  }),
);
