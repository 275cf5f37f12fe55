/**
 * Exports in bounded memory (issue 12 item 3): the peak memory of An Sinh while it streams a 200,000-row and a
 * 20,000-row beneficiary export, as CSV and as XLSX, on PostgreSQL. Bounded means the 200,000-row file costs
 * about what the 20,000-row one costs, not ten times as much. Results in bench/results-exports.md.
 *
 * Data: the bench's own database (BENCH_DATABASE_URL, never `test`), migrated, with the reference data, and two
 * communes filled with elderly people (ELDERLY: 80 or older on the as-of date) straight in SQL: 200,000 in 24846,
 * 20,000 in 24862 (a few seconds with generate_series; a trigger gives each their residence period). Reused when
 * present (bench_meta.exports_seed).
 *
 * Each measurement runs in a fresh process (`node --expose-gc`), so one export's peak is not another's, in three
 * modes (Mode below): as it runs in production, with a full collection every 250 ms (live memory), and with the
 * old space capped at 80 MB. The process builds
 * the app (src/app.ts buildApp) on the database, listens on 127.0.0.1, and fetches the export over HTTP, reading
 * and discarding the body as it comes (the client costs a few kB), while sampling process.memoryUsage() every
 * 10 ms. Reported: rows, bytes, seconds, and the peaks of RSS, heap used and external memory above the
 * process's baseline after start-up (and the absolute peak RSS).
 *
 *   createdb -h 127.0.0.1 -U postgres ansinh_bench_exports
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ansinh_bench_exports npx tsx bench/exports.ts
 */
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { createAuthService } from '../src/modules/auth/auth.service.js';
import { seedReferenceData } from '../src/reference/reference.js';
import { log } from './data-set.js';

const AS_OF = '2026-06-30';
const JWT = { secret: 'bench-exports-secret-bench-exports-secret', jwksUrl: undefined, issuer: undefined, audience: undefined };
const SIZES = [
  { commune: '24846', people: 200_000 },
  { commune: '24862', people: 20_000 },
] as const;

function databaseUrl(): string {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('BENCH_DATABASE_URL is required (a database of the bench, e.g. postgres://postgres@127.0.0.1:5432/ansinh_bench_exports)');
  if (/\/test(\?|$)/.test(url)) throw new Error('BENCH_DATABASE_URL must not be the test database');
  return url;
}

/** Migrates and seeds the two communes once. */
async function ensureData(url: string): Promise<void> {
  const database = await openDatabase({ databaseUrl: url, poolSize: 2 });
  const pool = database.pool;
  if (!pool) throw new Error('the bench needs PostgreSQL');
  try {
    await runMigrations(database);
    await pool.query(`CREATE SCHEMA IF NOT EXISTS bench_meta;
      CREATE TABLE IF NOT EXISTS bench_meta.exports_seed (commune_code text PRIMARY KEY, people int NOT NULL)`);
    const done = new Map(
      (await pool.query<{ commune_code: string; people: number }>(`SELECT * FROM bench_meta.exports_seed`)).rows.map((r) => [r.commune_code, r.people]),
    );
    if (SIZES.every((s) => done.get(s.commune) === s.people)) {
      log('data reused (bench_meta.exports_seed)');
      return;
    }
    await seedReferenceData(database.db);
    for (const s of SIZES) {
      if (done.get(s.commune) === s.people) continue;
      const t0 = performance.now();
      // Born 1930–1945: all elderly on AS_OF. Identification numbers are 12 digits, unique per row.
      await pool.query(
        `INSERT INTO persons (national_id, full_name, date_of_birth, sex, ethnicity, commune_code)
         SELECT lpad($2::text, 3, '0') || lpad(i::text, 9, '0'),
                'Nguyễn Thị Bench ' || i,
                DATE '1930-01-01' + (i % 5400),
                CASE WHEN i % 2 = 0 THEN 'FEMALE' ELSE 'MALE' END,
                CASE WHEN i % 3 = 0 THEN 'K''Ho' ELSE 'Kinh' END,
                $1
         FROM generate_series(1, $3::int) i`,
        [s.commune, s.commune === '24846' ? 681 : 682, s.people],
      );
      await pool.query(`INSERT INTO bench_meta.exports_seed VALUES ($1, $2) ON CONFLICT (commune_code) DO UPDATE SET people = EXCLUDED.people`, [
        s.commune,
        s.people,
      ]);
      log(`seeded ${s.people.toLocaleString('en-US')} people in ${s.commune} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    await pool.query('VACUUM (ANALYZE)');
  } finally {
    await database.close();
  }
}

/**
 * natural: V8 collects when it likes (peaks include garbage not yet collected); live: a full collection every
 * 250 ms, so the live heap is what the export holds (slower); capped: natural, in an old space capped at
 * CAPPED_OLD_SPACE_MB, which an export holding its rows would exceed.
 */
type Mode = 'natural' | 'live' | 'capped';
const MODES: readonly Mode[] = ['natural', 'live', 'capped'];
const CAPPED_OLD_SPACE_MB = 80;

interface Measurement {
  mode: Mode;
  format: string;
  commune: string;
  rows: number;
  bytes: number;
  seconds: number;
  baselineRssMb: number;
  peakRssMb: number;
  rssAboveBaselineMb: number;
  heapAboveBaselineMb: number;
  baselineHeapMb: number;
  liveHeapAboveBaselineMb: number;
  externalAboveBaselineMb: number;
}

const mb = (n: number) => Math.round((n / 1_048_576) * 10) / 10;

/** One export in this process (the child): serve, fetch, sample. */
async function measure(url: string, format: string, commune: string, mode: Mode): Promise<Measurement> {
  const database = await openDatabase({ databaseUrl: url, poolSize: 4 });
  const app = await buildApp({ config: { jwt: JWT, graphiql: false, env: 'production' }, database });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const token = await createAuthService(JWT).issueToken({ sub: 'bench', role: 'district_officer' });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const base = process.memoryUsage();
  const peak = { rss: base.rss, heapUsed: base.heapUsed, external: base.external + base.arrayBuffers };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external + m.arrayBuffers);
  };
  // Live heap: what survives a full collection, every 250 ms (heap used between collections includes garbage
  // that V8 collects when it likes; what survives is what the export holds).
  let liveHeap = base.heapUsed;
  let ticks = 0;
  const timer = setInterval(() => {
    sample();
    if (mode === 'live' && gc && ++ticks % 25 === 0) {
      gc();
      liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
    }
  }, 10);
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/exports/beneficiaries.${format}?communeCode=${commune}&group=ELDERLY&asOf=${AS_OF}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}: ${await res.text()}`);
  let bytes = 0;
  let newlines = 0;
  // Read and discard: the client holds one chunk at a time.
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    if (format === 'csv') for (const b of chunk) if (b === 10) newlines++;
  }
  const seconds = (performance.now() - t0) / 1000;
  sample();
  clearInterval(timer);
  await app.close();
  await database.close();
  return {
    mode,
    format,
    commune,
    // CSV: lines but the header; XLSX: not counted here (the file is zipped), the same query as the CSV's.
    rows: format === 'csv' ? newlines - 1 : -1,
    bytes,
    seconds: Math.round(seconds * 10) / 10,
    baselineRssMb: mb(base.rss),
    peakRssMb: mb(peak.rss),
    rssAboveBaselineMb: mb(peak.rss - base.rss),
    heapAboveBaselineMb: mb(peak.heapUsed - base.heapUsed),
    baselineHeapMb: mb(base.heapUsed),
    liveHeapAboveBaselineMb: mb(liveHeap - base.heapUsed),
    externalAboveBaselineMb: mb(peak.external - (base.external + base.arrayBuffers)),
  };
}

async function main() {
  const url = databaseUrl();
  if (process.argv[2] === 'measure') {
    const [format = 'csv', commune = '', mode = 'natural'] = process.argv.slice(3);
    console.log(JSON.stringify(await measure(url, format, commune, mode as Mode)));
    return;
  }
  await ensureData(url);
  const self = fileURLToPath(import.meta.url);
  const results: Measurement[] = [];
  for (const mode of MODES) {
    for (const format of ['csv', 'xlsx']) {
      for (const s of [...SIZES].reverse()) {
        log(`${mode}, ${format}, ${s.people.toLocaleString('en-US')} rows …`);
        const flags = ['--expose-gc', ...(mode === 'capped' ? [`--max-old-space-size=${CAPPED_OLD_SPACE_MB}`] : [])];
        const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', self, 'measure', format, s.commune, mode], {
          cwd: path.resolve(path.dirname(self), '..'),
          env: { ...process.env, LOG_LEVEL: 'silent' },
          encoding: 'utf8',
          maxBuffer: 1_048_576,
        });
        const m = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Measurement;
        results.push(m);
        log(JSON.stringify(m));
      }
    }
  }
  console.log(
    '\n| mode | format | rows | file | time | peak RSS | RSS above baseline | heap used above baseline (peak) | live heap above baseline (after GC, peak) | external above baseline |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of results) {
    const people = SIZES.find((x) => x.commune === m.commune)?.people ?? 0;
    const live = m.mode === 'live' ? `${m.liveHeapAboveBaselineMb} MB` : '–';
    console.log(
      `| ${m.mode} | ${m.format.toUpperCase()} | ${people.toLocaleString('en-US')}${m.rows >= 0 && m.rows !== people ? ` (file: ${m.rows})` : ''} | ${mb(m.bytes)} MB | ${m.seconds} s | ${m.peakRssMb} MB | ${m.rssAboveBaselineMb} MB | ${m.heapAboveBaselineMb} MB | ${live} | ${m.externalAboveBaselineMb} MB |`,
    );
  }
  console.log(`\nbaseline heap used (after start-up, after a full collection): ${results.map((m) => m.baselineHeapMb).join(', ')} MB`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
