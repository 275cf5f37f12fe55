/**
 * TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/access-log.ts — what logging reads
 * costs (issue 11, docs/security.md "Logged reads"): a page of 200 beneficiaries asked N times in a row, in
 * process (app.inject, no network), on the compiled path and on the executor, three ways:
 * - `no sensitive field`: id, name, identification number (nothing to log, nothing noted);
 * - `ethnicity, log off`: with ethnicity, the reads noted but the access event not written (record replaced);
 * - `ethnicity, logged`: the same, with its access_events row written before each response.
 * Env: ACCESS_BENCH_REQUESTS (default 300), ACCESS_BENCH_PEOPLE (default 220).
 */
import { closeTestApp, startTestApp, type TestApp } from '../test/support/app.js';
import { LAT, household, person } from '../test/support/people.js';

const REQUESTS = Number(process.env.ACCESS_BENCH_REQUESTS ?? 300);
const PEOPLE = Number(process.env.ACCESS_BENCH_PEOPLE ?? 220);

async function timed(t: TestApp, query: string, token: string): Promise<{ mean: number; p50: number; p95: number; compiled: boolean }> {
  const ms: number[] = [];
  let compiled = false;
  for (let i = 0; i < REQUESTS + 20; i++) {
    const started = performance.now();
    const res = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: { query },
    });
    const took = performance.now() - started;
    if (res.statusCode !== 200 || res.json<{ errors?: unknown }>().errors) throw new Error(`failed: ${res.body.slice(0, 200)}`);
    compiled = res.headers['x-an-sinh-compiled'] === '1';
    if (i >= 20) ms.push(took); // the first 20 warm up (compilation, JIT, statement preparation)
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
  return { mean: ms.reduce((a, b) => a + b, 0) / ms.length, p50: q(0.5), p95: q(0.95), compiled };
}

const PLAIN = `{ beneficiaries(communeCode: "${LAT}", first: 200) { nodes { id fullName nationalId } } }`;
const SENSITIVE = `{ beneficiaries(communeCode: "${LAT}", first: 200) { nodes { id fullName nationalId ethnicity } } }`;

const t = await startTestApp();
const executor = await startTestApp({ sharedDatabase: t.db, compiledReads: false });
try {
  for (let i = 0; i < PEOPLE; i += 1) {
    const h = await household(t, { commune: LAT });
    await person(t, { dateOfBirth: `19${30 + (i % 10)}-0${1 + (i % 9)}-15`, commune: LAT, householdId: h, isHead: true });
  }
  const token = await t.token('commune_officer', [LAT], '', 'bench-reader');
  const rows = async () => Number((await t.db.database.db.execute(`SELECT count(*)::int AS n FROM access_events`)).rows[0]!.n);
  console.log(`${REQUESTS} requests each, page of ${PEOPLE >= 200 ? 200 : PEOPLE}; ms per request`);
  console.log('| path | selection | mean | p50 | p95 | access_events rows written |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [name, app] of [
    ['compiled', t],
    ['executor', executor],
  ] as const) {
    const { accessLog } = app.app.services;
    const record = accessLog.record.bind(accessLog);
    for (const [label, query, logOn] of [
      ['no sensitive field', PLAIN, true],
      ['ethnicity, log off', SENSITIVE, false],
      ['ethnicity, logged', SENSITIVE, true],
    ] as const) {
      accessLog.record = logOn ? record : () => Promise.resolve();
      const before = await rows();
      const r = await timed(app, query, token);
      const written = (await rows()) - before;
      console.log(
        `| ${name}${r.compiled ? '' : name === 'compiled' ? ' (fell back)' : ''} | ${label} | ${r.mean.toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${written} |`,
      );
    }
    accessLog.record = record;
  }
} finally {
  await closeTestApp(executor);
  await closeTestApp(t);
}
