/**
 * Issue 11: a bounded loopback load test, run with every `npm test`. The real app listens on 127.0.0.1 and
 * autocannon (in a child process) sends a mix of reads (beneficiaries pages, people by id and by
 * identification number) and writes (registerPerson, registerHousehold) at a modest fixed rate for a few
 * seconds. Asserted: no connection error or timeout, no non-2xx answer, no GraphQL error, and every write
 * landed. The latencies (p50, p90, p99) are printed, and with LOAD_TEST_RECORD=1 appended to
 * bench/results-load-ci.md with the date, the commit and the load average (not by default: a test run must not
 * leave the working tree changed).
 * LOAD_TEST_SECONDS and LOAD_TEST_RATE (requests a second) change the run; the rate limit is off for it.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeNationalId } from '../src/core/national-id.js';
import { runLoadGenerator } from '../bench/load-generator.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { DA_SAR, household, person } from './support/people.js';

let t: TestApp;
let url: string;
const people: string[] = [];
const nationalIds: string[] = [];

beforeAll(async () => {
  // No rate limit and no shedding: the test measures the service, not its guards (a fixed rate stays modest).
  t = await startTestApp({ config: { rateLimit: { max: 0, windowMs: 60_000 } } });
  const h = await household(t);
  for (let i = 0; i < 20; i++) people.push(await person(t, { dateOfBirth: `19${40 + i}-03-0${1 + (i % 9)}`, householdId: h, isHead: i === 0 }));
  for (const id of people.slice(0, 5)) {
    const p = await t.gql(`query($id: ID!) { person(id: $id) { nationalId } }`, { id });
    nationalIds.push(p.body.data.person.nationalId as string);
  }
  url = await t.app.listen({ host: '127.0.0.1', port: 0 });
}, 180_000);
afterAll(() => closeTestApp(t));

const BENEFICIARIES = `query($communeCode: String!, $first: Int) { beneficiaries(communeCode: $communeCode, first: $first) { pageInfo { hasNextPage endCursor } nodes { id fullName dateOfBirth communeCode } } }`;
const PERSON = `query($id: ID!) { person(id: $id) { id fullName dateOfBirth household { id code } } }`;
const BY_NATIONAL_ID = `query($nationalId: String!) { personByNationalId(nationalId: $nationalId) { id fullName } }`;
const REGISTER_PERSON = `mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { id } }`;
const REGISTER_HOUSEHOLD = `mutation($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id } }`;

/** The requests, in sending order: per ten, 4 pages, 3 people by id, 1 by identification number, 2 writes. */
function bodies(count: number, runTag: string): { bodies: string[]; writes: number } {
  const out: string[] = [];
  let writes = 0;
  // Serials far from the fixtures' (test/support/people.ts) so identification numbers never collide.
  const serialBase = 600_000 + Math.floor(Math.random() * 300_000);
  for (let i = 0; i < count; i++) {
    const k = i % 10;
    let body: { query: string; variables: Record<string, unknown> };
    if (k < 4) body = { query: BENEFICIARIES, variables: { communeCode: DA_SAR, first: 20 } };
    else if (k < 7) body = { query: PERSON, variables: { id: people[i % people.length] } };
    else if (k === 7) body = { query: BY_NATIONAL_ID, variables: { nationalId: nationalIds[i % nationalIds.length] } };
    else if (k === 8) {
      writes += 1;
      const year = 1950 + (i % 50);
      body = {
        query: REGISTER_PERSON,
        variables: {
          input: {
            nationalId: makeNationalId('068', year, 'MALE', serialBase + i),
            fullName: 'Ka Tải Thử',
            dateOfBirth: `${year}-06-15`,
            sex: 'MALE',
            communeCode: DA_SAR,
          },
        },
      };
    } else {
      writes += 1;
      body = { query: REGISTER_HOUSEHOLD, variables: { input: { code: `LOAD-${runTag}-${i}`, communeCode: DA_SAR, villageCode: `${DA_SAR}.01` } } };
    }
    out.push(JSON.stringify(body));
  }
  return { bodies: out, writes };
}

const commit = () => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

describe('loopback load test', () => {
  it('mixed reads and writes at a fixed rate: no errors, every write landed, p99 recorded', async () => {
    const kind = t.db.database.kind;
    const seconds = Number(process.env.LOAD_TEST_SECONDS ?? 10);
    // PGlite answers on the test's own thread: a lower rate keeps the run about the service, not a queue.
    const rate = Number(process.env.LOAD_TEST_RATE ?? (kind === 'pglite' ? 10 : 50));
    const runTag = Date.now().toString(36);
    // Enough distinct bodies that none is sent twice (a write sent twice would be a conflict).
    const plan = bodies(Math.ceil(seconds * rate * 1.5) + 50, runTag);
    const countRows = async () => {
      const r = await t.db.database.db.execute(`SELECT (SELECT count(*) FROM persons)::int + (SELECT count(*) FROM households)::int AS n`);
      return Number(r.rows[0]!.n);
    };
    const rowsBefore = await countRows();
    const load = await runLoadGenerator({
      url: `${url}/graphql`,
      token: await t.token('district_officer'),
      bodies: plan.bodies,
      connections: 4,
      seconds,
      rate,
    });
    const rowsAfter = await countRows();

    const line = `| ${new Date().toISOString().slice(0, 16)}Z | ${commit()} | ${kind} | ${seconds} s × ${rate}/s | ${load.requests} | ${load.rps.toFixed(1)} | ${load.p50} | ${load.p90} | ${load.p99} | ${load.max} | ${load.failed} | ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} |`;
    console.info(`load test: ${line}`);
    const file = path.join(import.meta.dirname, '../bench/results-load-ci.md');
    if (process.env.LOAD_TEST_RECORD === '1' && !existsSync(file)) {
      writeFileSync(
        file,
        '# Loopback load test (test/load.test.ts)\n\nMixed reads and writes (per ten requests: 4 beneficiaries pages, 3 people by id, 1 by identification number, 2 writes) over HTTP on 127.0.0.1, 4 connections, autocannon in a child process. Latencies in ms. Appended by runs with LOAD_TEST_RECORD=1.\n\n| date (UTC) | commit | database | run | requests | req/s | p50 | p90 | p99 | max | errors | load average (1, 5, 15 min) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n',
      );
    }
    if (process.env.LOAD_TEST_RECORD === '1') appendFileSync(file, `${line}\n`);

    expect(load.sent, 'a body was sent twice').toBeLessThanOrEqual(plan.bodies.length);
    // A loaded CI machine may not keep the rate (PGlite shares the test's thread): at least one a second ran.
    expect(load.requests).toBeGreaterThanOrEqual(seconds);
    expect({ errors: load.errors, timeouts: load.timeouts, non2xx: load.non2xx, graphqlErrors: load.mismatches }).toEqual({
      errors: 0,
      timeouts: 0,
      non2xx: 0,
      graphqlErrors: 0,
    });
    // Every write answered is in the database (k = 8, 9 of each ten); one still in flight when the run ended may be too.
    const writesIn = (n: number) => Array.from({ length: n }, (_, i) => i % 10).filter((k) => k >= 8).length;
    expect(rowsAfter - rowsBefore).toBeGreaterThanOrEqual(writesIn(load.requests));
    expect(rowsAfter - rowsBefore).toBeLessThanOrEqual(writesIn(load.sent));
    expect(load.p99).toBeGreaterThan(0);
  }, 120_000);
});
