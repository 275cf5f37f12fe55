/**
 * npm run bench — An Sinh side by side with PostGraphile v4 and with hand-written SQL, on the national-scale
 * demo data set, plus the batch jobs. See bench/README.md for what is measured and how to read it.
 *
 * Env: BENCH_DATABASE_URL (required; never the `test` database), BENCH_SCALE (people, default 1,000,000),
 * BENCH_DURATION (s per measured run, default 10), BENCH_WARMUP (s, default 3), BENCH_CONNECTIONS
 * (default "10,50"), BENCH_ROUNDS (default 2), BENCH_RESULTS (file to write, default bench/results.md;
 * "-" to write nothing), BENCH_ANSINH_DIR (checkout to start An Sinh from, default this one), BENCH_JOB_BUDGET (s a batch job may run before the rest is extrapolated, default 90).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { ensureDataSet, log, type SeedInfo } from './data-set.js';
import { runLoadGenerator } from './load-generator.js';
import { FINDING_KINDS, timeCycleGeneration, timeFindings } from './payments.js';
import { addMonths } from '../src/core/period.js';
import { createAuthService } from '../src/modules/auth/auth.service.js';
import { ANSINH_PAGE, ANSINH_PERSON, POSTGRAPHILE_PAGE, POSTGRAPHILE_PERSON, POSTGRAPHILE_SCHEMA_SQL } from './queries.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const DATABASE_URL = env.BENCH_DATABASE_URL;
const DURATION = Number(env.BENCH_DURATION ?? 10);
const WARMUP = Number(env.BENCH_WARMUP ?? 3);
const CONNECTIONS = (env.BENCH_CONNECTIONS ?? '10,50').split(',').map(Number);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 2);
const RESULTS = env.BENCH_RESULTS ?? path.join(ROOT, 'bench/results.md');
const POOL_SIZE = 10;
/** Where An Sinh's server is started from: another checkout (e.g. a `git worktree` of an older commit) for before/after. */
const ANSINH_DIR = path.resolve(env.BENCH_ANSINH_DIR ?? ROOT);
/** Seconds a batch job may run before the bench extrapolates the rest (keeps `npm run bench` under 15 minutes). */
const JOB_BUDGET = Number(env.BENCH_JOB_BUDGET ?? 90);

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

const children: ChildProcess[] = [];
function stopChildren() {
  for (const c of children) if (c.exitCode === null && c.pid) c.kill('SIGTERM');
}
process.on('exit', stopChildren);
for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => process.exit(130));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

/** Starts a TypeScript entry as its own Node process (through tsx) and waits until `ready` says so. */
async function startProcess(
  name: string,
  entry: string,
  extraEnv: Record<string, string>,
  ready: (port: number, output: string) => Promise<boolean>,
  root = ROOT,
) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, entry)], {
    cwd: root,
    env: { ...env, ...extraEnv, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${output}`);
    if (await ready(port, output).catch(() => false)) return { name, port, child, output: () => output };
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} did not become ready in 60 s:\n${output}`);
}

// ---------------------------------------------------------------------------------------------
// The three endpoints and their answers
// ---------------------------------------------------------------------------------------------

type QueryName = 'page' | 'person';
type EndpointName = 'An Sinh' | 'PostGraphile' | 'raw SQL';

interface Endpoint {
  name: EndpointName;
  url: (q: QueryName) => string;
  body: (q: QueryName, arg: string, asOf: string) => string;
}

function endpoints(ports: Record<EndpointName, number>): Endpoint[] {
  const gql = (query: string, variables: object) => JSON.stringify({ query, variables });
  return [
    {
      name: 'An Sinh',
      url: () => `http://127.0.0.1:${ports['An Sinh']}/graphql`,
      body: (q, arg, asOf) => (q === 'page' ? gql(ANSINH_PAGE, { communeCode: arg, asOf }) : gql(ANSINH_PERSON, { nationalId: arg })),
    },
    {
      name: 'PostGraphile',
      url: () => `http://127.0.0.1:${ports.PostGraphile}/graphql`,
      body: (q, arg, asOf) => (q === 'page' ? gql(POSTGRAPHILE_PAGE, { communeCode: arg, asOf }) : gql(POSTGRAPHILE_PERSON, { nationalId: arg })),
    },
    {
      name: 'raw SQL',
      url: (q) => `http://127.0.0.1:${ports['raw SQL']}/raw/${q === 'page' ? 'beneficiaries' : 'person'}`,
      body: (q, arg, asOf) => JSON.stringify(q === 'page' ? { communeCode: arg, asOf } : { nationalId: arg }),
    },
  ];
}

/** Sorts every list (ties in the circumstance orders are not fixed by any of the three) and drops cursors. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'endCursor') continue;
      // PostGraphile sends bigint as a string (monthlyAmount); An Sinh's Vnd and the raw JSON send numbers.
      out[k] = (k === 'monthlyAmount' || k === 'incomePerPerson') && typeof v === 'string' ? Number(v) : canonical(v);
    }
    return out;
  }
  return value;
}

function normalize(endpoint: EndpointName, q: QueryName, body: { errors?: unknown; data?: { personByNationalId?: unknown[] } }): unknown {
  if (body.errors) throw new Error(`${endpoint} answered with errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
  let data: unknown = body.data;
  if (endpoint === 'PostGraphile' && q === 'person') data = { personByNationalId: body.data!.personByNationalId![0] ?? null };
  return canonical(data);
}

async function post(url: string, body: string, token: string) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return { text, json: JSON.parse(text) };
}

/** The three must say the same thing, or the speeds mean nothing. Returns the response sizes. */
async function checkSameAnswers(eps: Endpoint[], token: string, fixtures: Record<QueryName, string[]>, asOf: string) {
  const sizes: Record<QueryName, Record<string, number>> = { page: {}, person: {} };
  for (const q of ['page', 'person'] as const) {
    for (const arg of fixtures[q].slice(0, 10)) {
      const answers = await Promise.all(
        eps.map(async (e) => {
          const { text, json } = await post(e.url(q), e.body(q, arg, asOf), token);
          sizes[q][e.name] ??= text.length;
          return { e, text, json, norm: normalize(e.name, q, json) };
        }),
      );
      const [first, ...rest] = answers;
      if (!first) throw new Error('no endpoint to compare');
      for (const a of rest) {
        if (!isDeepStrictEqual(first.norm, a.norm)) {
          throw new Error(
            `${q} ${arg}: ${a.e.name} differs from ${first.e.name}:\n${JSON.stringify(first.norm).slice(0, 1500)}\n---\n${JSON.stringify(a.norm).slice(0, 1500)}`,
          );
        }
      }
      // An Sinh's and the raw endpoint's cursors are the same bytes.
      if (q === 'page') {
        const c = (j: { data: { beneficiaries: { pageInfo: { endCursor: unknown } } } }) => j.data.beneficiaries.pageInfo.endCursor;
        if (c(first.json) !== c(answers[2]!.json)) throw new Error(`page ${arg}: endCursor differs between An Sinh and raw SQL`);
        const n = first.json.data.beneficiaries.nodes.length;
        if (n === 0) throw new Error(`page ${arg}: empty page; pick communes with elderly people`);
      } else if (!first.json.data.personByNationalId) {
        throw new Error(`person ${arg}: not found`);
      }
    }
  }
  return sizes;
}

// ---------------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------------

interface Run {
  /** CPU time of the server process per request, ms (user + system): robust to other work on the machine. */
  cpuMs: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
}

/** user + system CPU of a process so far, ms (Linux /proc; 0 elsewhere). */
function cpuOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); // a missing part throws: caught, 0
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/**
 * The load generator, always in a process or thread of its own so that it does not share the bench's event
 * loop: wrk (C, epoll; `apt-get install wrk`) when installed, else autocannon in a worker thread.
 * BENCH_LOADGEN=autocannon forces the latter.
 */
const WRK = env.BENCH_LOADGEN === 'autocannon' ? undefined : ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));
const LOADGEN = WRK ? `wrk ${wrkVersion()} (1 thread, own process)` : 'autocannon in a worker thread';

function wrkVersion(): string {
  try {
    return /wrk (\S+)/.exec(execFileSync(WRK ?? 'wrk', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1] ?? '?';
  } catch (err) {
    // wrk --version exits with 1 after printing its version.
    const out = (err as { stdout?: string }).stdout ?? ''; // a string: execFileSync ran with an encoding
    return /wrk (\S+)/.exec(out)?.[1] ?? '?';
  }
}

interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

let bodyFileSerial = 0;
async function runWrk(wrk: string, url: string, bodies: string[], token: string, connections: number, seconds: number): Promise<LoadResult> {
  const file = path.join(os.tmpdir(), `an-sinh-bench-${process.pid}-${bodyFileSerial++}.txt`);
  writeFileSync(file, bodies.join('\n') + '\n');
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        wrk,
        [
          '-t1',
          `-c${connections}`,
          `-d${seconds}s`,
          '--timeout',
          '30s',
          '-H',
          'content-type: application/json',
          '-H',
          `authorization: Bearer ${token}`,
          '-s',
          path.join(ROOT, 'bench/wrk.lua'),
          url,
          '--',
          file,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code === 0) resolve(text);
        else reject(new Error(`wrk exited ${code}: ${text}`));
      });
    });
    const line = out.split('\n').find((l) => l.startsWith('WRK_RESULT '));
    if (!line) throw new Error(`wrk printed no result:\n${out}`);
    const r = JSON.parse(line.slice('WRK_RESULT '.length)) as {
      requests: number;
      duration_us: number;
      p50_us: number;
      p99_us: number;
      bad: number;
      socket_errors: number;
    };
    return {
      requests: r.requests,
      rps: r.requests / (r.duration_us / 1e6),
      p50: Math.round(r.p50_us / 100) / 10,
      p99: Math.round(r.p99_us / 100) / 10,
      errors: r.bad + r.socket_errors,
    };
  } finally {
    rmSync(file, { force: true });
  }
}

async function runAutocannon(url: string, bodies: string[], token: string, connections: number, seconds: number): Promise<LoadResult> {
  const r = await runLoadGenerator({ url, bodies, token, connections, seconds });
  return { requests: r.requests, rps: r.rps, p50: r.p50, p99: r.p99, errors: r.failed };
}

async function load(e: Endpoint, q: QueryName, args: string[], asOf: string, token: string, connections: number, seconds: number, pid?: number): Promise<Run> {
  const bodies = args.map((a) => e.body(q, a, asOf));
  const cpu0 = cpuOf(pid);
  const r = WRK ? await runWrk(WRK, e.url(q), bodies, token, connections, seconds) : await runAutocannon(e.url(q), bodies, token, connections, seconds);
  return { ...r, cpuMs: r.requests ? (cpuOf(pid) - cpu0) / r.requests : 0 };
}

interface Cell {
  runs: Run[];
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const summary = (c: Cell) => ({
  rps: mean(c.runs.map((r) => r.rps)),
  p50: mean(c.runs.map((r) => r.p50)),
  p99: mean(c.runs.map((r) => r.p99)),
  errors: c.runs.reduce((a, r) => a + r.errors, 0),
});

// ---------------------------------------------------------------------------------------------
// Batch jobs
// ---------------------------------------------------------------------------------------------

interface IntroField {
  name: string;
  args: { name: string; type: IntroType }[];
  type: IntroType;
}
interface IntroType {
  kind: string;
  name: string | null;
  ofType: IntroType | null;
}

async function introspect(url: string, token: string) {
  const typeRef = 'kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }';
  const { json } = await post(
    url,
    JSON.stringify({
      query: `{ __schema { types { name kind fields { name args { name type { ${typeRef} } } type { ${typeRef} } } } } }`,
    }),
    token,
  );
  const types = new Map<string, { kind: string; fields: IntroField[] | null }>();
  for (const t of json.data.__schema.types) types.set(t.name, t);
  return types;
}

const named = (t: IntroType): IntroType => (t.ofType ? named(t.ofType) : t);

/** A selection of the scalar fields of a type, two levels deep (enough to make a job compute its answer). */
function selection(types: Map<string, { kind: string; fields: IntroField[] | null }>, typeName: string, depth = 0): string {
  const t = types.get(typeName);
  if (!t?.fields) return '';
  const parts: string[] = [];
  for (const f of t.fields) {
    if (f.args.some((a) => a.type.kind === 'NON_NULL')) continue;
    const inner = named(f.type);
    const kind = types.get(inner.name!)?.kind;
    if (kind === 'SCALAR' || kind === 'ENUM') parts.push(f.name);
    else if (depth < 2) {
      const sub = selection(types, inner.name!, depth + 1);
      if (sub) parts.push(`${f.name} { ${sub} }`);
    }
  }
  return parts.join(' ');
}

interface JobResult {
  job: string;
  result: string;
}

/**
 * The batch jobs of issue 4: present ones are timed, absent ones reported as "not yet built" (detected in
 * An Sinh's GraphQL schema, so this needs no change when they land).
 */
async function batchJobs(url: string, token: string, seed: SeedInfo, communes: string[]): Promise<JobResult[]> {
  const out: JobResult[] = [];
  out.push({
    job: `seed --scale ${seed.people.toLocaleString('en-US')} (COPY)`,
    result: seed.seconds
      ? `${Math.round(seed.rows! / seed.seconds).toLocaleString('en-US')} rows/s (${seed.rows!.toLocaleString('en-US')} rows in ${seed.seconds.toFixed(1)} s; VACUUM ANALYZE ${seed.analyzeSeconds!.toFixed(1)} s)${seed.reused ? `, measured ${seed.measuredAt} when this database was seeded` : ''}`
      : 'reused a data set seeded outside the bench: not measured (seed a fresh database to measure)',
  });
  const types = await introspect(url, token);
  const query = types.get('Query')?.fields ?? [];
  const mutation = types.get('Mutation')?.fields ?? [];
  const find = (fields: IntroField[], ...names: string[]) => fields.find((f) => names.includes(f.name));

  const gaps = find(query, 'coverageGaps');
  if (!gaps) out.push({ job: 'coverageGaps, whole data set', result: 'not yet built' });
  else out.push({ job: 'coverageGaps, whole data set', result: await timeQueryJob(url, token, types, gaps, seed.asOf, communes) });

  // Every commune's cycle for the data set's month (bench/payments.ts; it removes what it wrote afterwards). With
  // BENCH_CYCLE_HISTORY months of paid cycles before it, as in steady operation; the audit findings are then timed
  // over those months' lines while they exist (without a history there are no lines to audit).
  const cycles = find(mutation, 'createPaymentCycles');
  const findings = find(query, 'auditFindings');
  const history = Number(env.BENCH_CYCLE_HISTORY ?? 0);
  const period = seed.asOf.slice(0, 7);
  let findingsResult = 'not yet built';
  out.push({
    job: `payment-cycle generation, every commune${history ? `, after ${history} paid months` : ''}`,
    result:
      cycles && DATABASE_URL
        ? await timeCycleGeneration(url, token, DATABASE_URL, period, history, async () => {
            if (findings && history > 0) findingsResult = await timeFindings(url, token, addMonths(period, -history), period, FINDING_KINDS);
          })
        : 'not yet built',
  });
  if (findings && history === 0) findingsResult = await timeQueryJob(url, token, types, findings, seed.asOf, communes);
  out.push({ job: 'auditFindings, whole data set', result: findingsResult });
  return out;
}

/** Runs a query-type job over every commune (when it takes a commune) and reports the total time. */
async function timeQueryJob(
  url: string,
  token: string,
  types: Map<string, { kind: string; fields: IntroField[] | null }>,
  field: IntroField,
  asOf: string,
  communes: string[],
): Promise<string> {
  try {
    const required = field.args.filter((a) => a.type.kind === 'NON_NULL');
    // A job that can run over everything at once (communeCode optional) is timed as one call over the whole
    // data set; one that needs a commune is run commune by commune.
    const byCommune = field.args.some((a) => a.name === 'communeCode' && a.type.kind === 'NON_NULL');
    const unknown = required.filter((a) => !['communeCode', 'asOf', 'from', 'to'].includes(a.name));
    if (unknown.length) return `built; not measured: required arguments ${unknown.map((a) => a.name).join(', ')} unknown to the bench`;
    const argDefs = field.args.filter((a) => ['communeCode', 'asOf', 'from', 'to'].includes(a.name)).map((a) => `$${a.name}: ${printType(a.type)}`);
    const argUse = field.args.filter((a) => ['communeCode', 'asOf', 'from', 'to'].includes(a.name)).map((a) => `${a.name}: $${a.name}`);
    const sel = selection(types, named(field.type).name!);
    const text = `query Job${argDefs.length ? `(${argDefs.join(', ')})` : ''} { ${field.name}${argUse.length ? `(${argUse.join(', ')})` : ''}${sel ? ` { ${sel} }` : ''} }`;
    const targets = byCommune ? communes : [undefined];
    const t0 = performance.now();
    let items = 0;
    let done = 0;
    for (const c of targets) {
      // A time budget keeps the whole run bounded; the rest is extrapolated, and the report says so.
      if (done > 0 && performance.now() - t0 > JOB_BUDGET * 1000) break;
      done++;
      const variables = { communeCode: c, asOf, from: `${asOf.slice(0, 4)}-01`, to: asOf.slice(0, 7) };
      const { json } = await post(url, JSON.stringify({ query: text, variables }), token);
      if (json.errors) return `error: ${JSON.stringify(json.errors[0]).slice(0, 200)}`;
      const v: unknown[] | { totalCount?: number; nodes?: unknown[] } | null = json.data[field.name];
      items += Array.isArray(v) ? v.length : (v?.totalCount ?? v?.nodes?.length ?? 1);
    }
    const s = (performance.now() - t0) / 1000;
    if (done < targets.length) {
      return `${s.toFixed(1)} s for ${done} of ${targets.length} communes (${items.toLocaleString('en-US')} items), stopped at the ${JOB_BUDGET} s budget: about ${Math.round((s * targets.length) / done)} s for all`;
    }
    return `${s.toFixed(1)} s over ${targets.length} ${byCommune ? 'communes' : 'call'} (${items.toLocaleString('en-US')} items)`;
  } catch (err) {
    return `error: ${(err as Error).message.slice(0, 200)}`;
  }
}

function printType(t: IntroType): string {
  if (t.kind === 'NON_NULL') return `${printType(t.ofType!)}!`;
  if (t.kind === 'LIST') return `[${printType(t.ofType!)}]`;
  return t.name!;
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

async function machine(pool: pg.Pool) {
  const pgVersion = (await pool.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  const settings = (
    await pool.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'max_connections')`,
    )
  ).rows.map((r) => `${r.name}=${r.setting}${r.unit ?? ''}`);
  const version = (pkg: string) => JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version as string;
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src', 'bench', 'schema', 'migrations', 'seeds', ':!bench/*.md'], {
      cwd: ROOT,
    })
      .toString()
      .trim();
    if (dirty) commit += ' (+ uncommitted changes)';
  } catch {
    /* not a git checkout */
  }
  return {
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    postgres: `${pgVersion} (${settings.join(', ')})`,
    versions: `fastify ${version('fastify')}, mercurius ${version('mercurius')}, graphql-jit ${version('graphql-jit')}, postgraphile ${version('postgraphile')}, pg ${version('pg')}, ${WRK ? `wrk ${wrkVersion()}` : `autocannon ${version('autocannon')}`}`,
    commit,
  };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main() {
  if (!DATABASE_URL) {
    console.error('BENCH_DATABASE_URL is required, e.g. postgres://postgres@127.0.0.1:5432/ansinh_bench (see bench/README.md)');
    process.exit(2);
  }
  const dbName = new URL(DATABASE_URL).pathname.slice(1);
  if (dbName === 'test' || dbName === '') {
    console.error(`refusing to benchmark against the database "${dbName}": give the bench a database of its own`);
    process.exit(2);
  }
  const started = performance.now();
  const seed = await ensureDataSet(DATABASE_URL);

  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  await pool.query(POSTGRAPHILE_SCHEMA_SQL);
  const elderlyAge = `make_interval(years => 60)`;
  // Fixtures: 20 communes with more than a page of elderly people, 200 people with an identification number
  // and a household; chosen by hash so every run (and every endpoint) asks the same questions.
  const communes = (
    await pool.query<{ c: string }>(
      `SELECT commune_code AS c FROM persons p
     WHERE p.date_of_birth <= ($1::date - ${elderlyAge})::date AND (p.date_of_death IS NULL OR p.date_of_death > $1::date)
     GROUP BY 1 HAVING count(*) > 50 ORDER BY md5(commune_code) LIMIT 20`,
      [seed.asOf],
    )
  ).rows.map((r) => r.c);
  const nationalIds = (
    await pool.query<{ n: string }>(
      `SELECT national_id AS n FROM persons WHERE national_id IS NOT NULL AND household_id IS NOT NULL ORDER BY md5(id::text) LIMIT 200`,
    )
  ).rows.map((r) => r.n);
  const allCommunes = (await pool.query<{ c: string }>(`SELECT DISTINCT commune_code AS c FROM households ORDER BY 1`)).rows.map((r) => r.c);
  const fixtures: Record<QueryName, string[]> = { page: communes, person: nationalIds };
  const info = await machine(pool);
  await pool.end();

  const secret = randomBytes(32).toString('hex');
  const token = await createAuthService({ secret, jwksUrl: undefined, issuer: undefined, audience: undefined }).issueToken(
    { sub: 'bench', role: 'district_officer' },
    '2h',
  );
  const healthy = async (port: number) => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
  const printedReady = (_port: number, output: string) => Promise.resolve(output.includes('READY'));

  log('starting the three servers (separate processes)');
  const ansinh = await startProcess(
    'An Sinh',
    'src/server.ts',
    {
      NODE_ENV: 'production',
      DATABASE_URL,
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      JWT_SECRET: secret,
      LOG_LEVEL: 'warn',
      GRAPHIQL: 'false',
      SEED_DEMO: 'false',
      HOST: '127.0.0.1',
      // The bench measures throughput at saturation with one token: no rate limit, no shedding.
      RATE_LIMIT_MAX: '0',
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
      OVERLOAD_MAX_EVENT_LOOP_UTILIZATION: '0',
    },
    healthy,
    ANSINH_DIR,
  );
  const postgraphile = await startProcess(
    'PostGraphile',
    'bench/postgraphile.ts',
    { NODE_ENV: 'production', BENCH_DATABASE_URL: DATABASE_URL, BENCH_JWT_SECRET: secret, POOL_SIZE: String(POOL_SIZE) },
    printedReady,
  );
  const raw = await startProcess(
    'raw SQL',
    'bench/raw-sql.ts',
    { NODE_ENV: 'production', BENCH_DATABASE_URL: DATABASE_URL, BENCH_JWT_SECRET: secret, POOL_SIZE: String(POOL_SIZE) },
    printedReady,
  );
  const eps = endpoints({ 'An Sinh': ansinh.port, PostGraphile: postgraphile.port, 'raw SQL': raw.port });
  const pids: Record<EndpointName, number | undefined> = { 'An Sinh': ansinh.child.pid, PostGraphile: postgraphile.child.pid, 'raw SQL': raw.child.pid };

  log('checking that the three give the same answers');
  const sizes = await checkSameAnswers(eps, token, fixtures, seed.asOf);
  log(
    `same answers: page (${Object.entries(sizes.page)
      .map(([k, v]) => `${k} ${v} B`)
      .join(', ')}), person (${Object.entries(sizes.person)
      .map(([k, v]) => `${k} ${v} B`)
      .join(', ')})`,
  );

  // This machine is shared (other work may run at the same time): the load average goes in the report.
  const loadBefore = os.loadavg()[0]!; // loadavg() is always [1, 5, 15 min]
  const cells = new Map<string, Cell>();
  const key = (q: QueryName, c: number, e: EndpointName) => `${q}|${c}|${e}`;
  for (const q of ['page', 'person'] as const) {
    for (const c of CONNECTIONS) {
      for (const e of eps) {
        log(`warm-up ${q} × ${c} connections: ${e.name} (${WARMUP} s)`);
        await load(e, q, fixtures[q], seed.asOf, token, c, WARMUP);
      }
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate the order between rounds so that drift on this noisy machine does not favour one endpoint.
        const order = round % 2 === 0 ? eps : [...eps].reverse();
        for (const e of order) {
          const r = await load(e, q, fixtures[q], seed.asOf, token, c, DURATION, pids[e.name]);
          log(
            `${q} × ${c} round ${round + 1}: ${e.name.padEnd(12)} ${fmt(r.rps).padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors}  server CPU ${r.cpuMs.toFixed(2)} ms/req`,
          );
          const cell = cells.get(key(q, c, e.name)) ?? { runs: [] };
          cell.runs.push(r);
          cells.set(key(q, c, e.name), cell);
        }
      }
    }
  }

  const loadAfter = os.loadavg()[0]!;
  log('batch jobs');
  const jobs = await batchJobs(eps[0]!.url('page'), token, seed, allCommunes);
  stopChildren();

  // One table: every question × connections, the three endpoints, and the ratios.
  const label: Record<QueryName, string> = {
    page: 'commune page (50 elderly + household + circumstances)',
    person: 'person by national id + household members',
  };
  const head =
    '| query | conns | An Sinh req/s | p50 / p99 ms | err | PostGraphile req/s | p50 / p99 ms | err | raw SQL req/s | p50 / p99 ms | err | An Sinh / PostGraphile | An Sinh / raw SQL |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const lines: string[] = [];
  const perRound: string[] = [];
  for (const q of ['page', 'person'] as const) {
    for (const c of CONNECTIONS) {
      const s = eps.map((e) => summary(cells.get(key(q, c, e.name))!));
      lines.push(
        `| ${label[q]} | ${c} | ${s.map((x) => `${fmt(x.rps)} | ${x.p50.toFixed(0)} / ${x.p99.toFixed(0)} | ${x.errors}`).join(' | ')} | ${(s[0]!.rps / s[1]!.rps).toFixed(2)}× | ${(s[0]!.rps / s[2]!.rps).toFixed(2)}× |`,
      );
      perRound.push(
        `| ${q} | ${c} | ${eps
          .map((e) =>
            cells
              .get(key(q, c, e.name))!
              .runs.map((r) => fmt(r.rps))
              .join(', '),
          )
          .join(' | ')} | ${eps.map((e) => mean(cells.get(key(q, c, e.name))!.runs.map((r) => r.cpuMs)).toFixed(2)).join(' | ')} |`,
      );
    }
  }
  const table = `${head}\n${lines.join('\n')}`;
  const jobTable = `| batch job | result |\n|---|---|\n${jobs.map((j) => `| ${j.job} | ${j.result} |`).join('\n')}`;
  const totalMin = (performance.now() - started) / 60_000;
  console.log(`\n${table}\n\n${jobTable}\n\n(total ${totalMin.toFixed(1)} min)`);

  if (RESULTS !== '-') {
    const date = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    const section = [
      `## Latest run: ${date}`,
      '',
      `Machine: ${info.cpus}, ${info.memory}; Node ${info.node}; PostgreSQL ${info.postgres}.`,
      `Packages: ${info.versions}. Commit: ${info.commit}.`,
      `Data: ${seed.people.toLocaleString('en-US')} people (demo generator, as of ${seed.asOf}), ${seed.reused ? 'reused' : 'seeded in this run'}.`,
      `Load: ${LOADGEN}, each server in its own process, all on 127.0.0.1; ${WARMUP} s warm-up per endpoint, then ${ROUNDS} rounds of ${DURATION} s per endpoint in alternating order; figures are the means of the rounds. Each server has a pool of ${POOL_SIZE} connections. Whole run: ${totalMin.toFixed(1)} min. Load average (1 min) before / after the load phase: ${loadBefore.toFixed(1)} / ${loadAfter.toFixed(1)} on ${os.cpus().length} cores${loadBefore > 1.5 ? ' (other work was running: figures are pessimistic)' : ''}.`,
      '',
      table,
      '',
      'Requests/s of each round, and CPU of the server process per request (user + system, mean of the rounds; it does not include PostgreSQL, and it is much less sensitive than requests/s to other work on the machine):',
      '',
      '| query | conns | An Sinh req/s | PostGraphile req/s | raw SQL req/s | An Sinh CPU ms/req | PostGraphile CPU ms/req | raw SQL CPU ms/req |\n|---|---:|---|---|---|---:|---:|---:|',
      ...perRound,
      '',
      `Response sizes: page ${Object.entries(sizes.page)
        .map(([k, v]) => `${k} ${fmt(v)} B`)
        .join(', ')}; person ${Object.entries(sizes.person)
        .map(([k, v]) => `${k} ${fmt(v)} B`)
        .join(', ')}.`,
      '',
      jobTable,
    ].join('\n');
    const historyRow = `| ${date} | ${info.commit} | ${['page', 'person']
      .flatMap((q) =>
        CONNECTIONS.map((c) => {
          const s = eps.map((e) => summary(cells.get(key(q as QueryName, c, e.name))!).rps);
          return `${fmt(s[0]!)} / ${fmt(s[1]!)} / ${fmt(s[2]!)}`;
        }),
      )
      .join(' | ')} |`;
    const previous = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
    const MARK = '<!-- history rows: newest first -->';
    const oldRows = previous.includes(MARK) ? previous.slice(previous.indexOf(MARK) + MARK.length).trim() : '';
    const doc = [
      '# Benchmark results',
      '',
      'Written by `npm run bench` (see bench/README.md). The latest run in full, then one line per run so progress shows over time.',
      'Notes on fixes (before/after) are kept in bench/README.md under "Changes measured".',
      '',
      section,
      '',
      '## History',
      '',
      `req/s An Sinh / PostGraphile / raw SQL, per query × connections (${CONNECTIONS.join(', ')}).`,
      '',
      `| date | commit | ${['page', 'person'].flatMap((q) => CONNECTIONS.map((c) => `${q} × ${c}`)).join(' | ')} |`,
      `|---|---|${['page', 'person'].flatMap(() => CONNECTIONS.map(() => '---|')).join('')}`,
      MARK,
      historyRow,
      oldRows,
      '',
    ].join('\n');
    writeFileSync(RESULTS, doc);
    log(`wrote ${path.relative(ROOT, RESULTS)}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    stopChildren();
    process.exit(1);
  },
);
