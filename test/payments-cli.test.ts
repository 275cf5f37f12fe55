/**
 * `npm run payments -- …` (src/modules/payments/payments.cli.ts) as a separate process against the test's PostgreSQL
 * database: the payment file of an approved cycle written to CSV, a reconciliation file applied with its progress
 * lines and its error file, the same file again recording nothing, a refused request (exit 1) and usage errors
 * (exit 2) with a clear message. The CLI opens its own connection, so on an in-memory PGlite (no server to share)
 * these tests are skipped.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestApp, startTestApp, TEST_JWT, type JsonBody, type TestApp } from './support/app.js';
import { certifyDisability, enrolAndApprove, household, ok, person } from './support/people.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const COMMUNE = '24846';
let t: TestApp;
let databaseUrl: string | undefined;
let dir: string;
let district: string;
let cycle: JsonBody;

/** Runs the CLI as `npm run payments -- …` does (tsx on the file), with only the environment given here. */
async function payments(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/modules/payments/payments.cli.ts', ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: databaseUrl ?? '',
      JWT_SECRET: TEST_JWT.secret,
      JWT_ISSUER: TEST_JWT.issuer,
      JWT_AUDIENCE: TEST_JWT.audience,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

// The in-memory PGlite (no server, no containers) cannot be shared with another process.
const pgliteOnly = !process.env.TEST_DATABASE_URL && process.env.TEST_NO_CONTAINERS === '1';

describe.skipIf(pgliteOnly)('payments command line', () => {
  beforeAll(async () => {
    t = await startTestApp();
    databaseUrl = (t.db.database.pool?.options as { connectionString?: string } | undefined)?.connectionString;
    dir = await mkdtemp(path.join(tmpdir(), 'an-sinh-payments-cli-'));
    const approver = await t.token('district_officer', [], '', 'district-approver');
    district = await t.token('district_officer');
    for (const no of [1, 2, 3]) {
      const h = await household(t, { commune: COMMUNE });
      const id = await person(t, { dateOfBirth: '1980-02-03', householdId: h, isHead: true, commune: COMMUNE });
      await certifyDisability(t, id, 'SEVERE');
      await enrolAndApprove(t, id, 'D20_5_6', '2025-01', COMMUNE, `2025-01-0${no}`);
    }
    cycle = ok(
      await t.gql(`mutation { createPaymentCycle(communeCode: "${COMMUNE}", period: "2025-02") { id payments { id amount } } }`),
      'createPaymentCycle',
    );
    ok(await t.gql(`mutation($id: ID!) { approvePaymentCycle(id: $id) { id } }`, { id: cycle.id }, approver));
  }, 120_000);
  afterAll(async () => {
    await closeTestApp(t);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exports an approved cycle to CSV: one row per line and the total, as the REST route writes it', async () => {
    const out = path.join(dir, 'chi-tra.csv');
    const r = await payments(['export', cycle.id, '--format', 'csv', '--out', out, '--token', district]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = cycle.payments as JsonBody[];
    const sum = lines.reduce((s: number, l) => s + Number(l.amount), 0);
    expect(r.stdout.trim()).toBe(`${out}: commune ${COMMUNE}, 2025-02: ${lines.length} lines to pay, ${sum} VND`);
    const rows: string[][] = parse(await readFile(out), { bom: true });
    expect(rows[0]?.[0]).toBe('Mã dòng chi');
    expect(
      rows
        .slice(1, -1)
        .map((row) => row[0])
        .sort(),
    ).toEqual(lines.map((l) => l.id).sort());
    expect(rows.at(-1)?.slice(0, 2)).toEqual(['TỔNG CỘNG', String(lines.length)]);
    expect(rows.at(-1)?.[5]).toBe(String(sum));
    const rest = await t.app.inject({ method: 'GET', url: `/payments/cycles/${cycle.id}/export.csv`, headers: { authorization: `Bearer ${district}` } });
    expect((await readFile(out)).toString('utf8')).toBe(rest.body);
  });

  it('exports XLSX in English when asked', async () => {
    const out = path.join(dir, 'payments.xlsx');
    const r = await payments(['export', cycle.id, '--format', 'xlsx', '--out', out, '--lang', 'en'], { ANSINH_TOKEN: district });
    expect(r.code, r.stderr).toBe(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await readFile(out)) as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Payments', 'Recoveries', 'Control totals']);
    expect(wb.worksheets[0]?.getRow(1).getCell(1).value).toBe('Line id');
  });

  it('imports a reconciliation file: progress lines, the rejected row in the error file, exit 1; again, nothing recorded', async () => {
    const [a, b] = (cycle.payments as JsonBody[]).map((l) => l.id as string);
    const file = path.join(dir, 'ket-qua.csv');
    await writeFile(
      file,
      [
        'line_id,status,bank_reference,date',
        `${a},PAID,VBA-CLI-1,20/02/2025`,
        `${b},FAILED,VBA-CLI-2,2025-02-20`,
        `00000000-0000-4000-8000-000000000000,PAID,VBA-CLI-3,20/02/2025`,
      ].join('\r\n'),
    );
    const r = await payments(['import', cycle.id, file, '--token', district]);
    expect(r.code, r.stderr).toBe(1);
    // Not a terminal: a plain line at every tenth of the rows applied.
    expect(r.stdout).toContain('rows processed: 1 of 2 (50%)');
    expect(r.stdout).toContain('rows processed: 2 of 2 (100%)');
    expect(r.stdout).toContain(`${file}: 3 rows: 2 applied, 0 already recorded, 1 rejected`);
    expect(r.stdout).toContain(`rejected rows with their reasons: ${file}.errors.csv`);
    const errors: string[][] = parse(await readFile(`${file}.errors.csv`), { bom: true });
    expect(errors).toHaveLength(2);
    expect(errors[1]?.[0]).toBe('00000000-0000-4000-8000-000000000000');
    expect(errors[1]?.at(-1)).toBe('Line id: no payment line has this id');
    const statuses = await t.db.database.db.execute(`SELECT id::text, status, reference FROM payments WHERE cycle_id = '${cycle.id}' ORDER BY reference`);
    expect(statuses.rows.filter((s) => s.reference !== null)).toEqual([
      { id: a, status: 'PAID', reference: 'VBA-CLI-1' },
      { id: b, status: 'FAILED', reference: 'VBA-CLI-2' },
    ]);
    const imported = await t.db.database.db.execute(`SELECT actor FROM audit_events WHERE action = 'importReconciliation'`);
    expect(imported.rows).toEqual([{ actor: 'test-district_officer' }]);

    const again = await payments(['import', cycle.id, file, '--errors', path.join(dir, 'loi.csv')], { ANSINH_TOKEN: district });
    expect(again.stdout).toContain(`${file}: 3 rows: 0 applied, 2 already recorded, 1 rejected`);
    expect(again.stdout).toContain(`rejected rows with their reasons: ${path.join(dir, 'loi.csv')}`);
    expect(again.code).toBe(1);
  });

  it('exits 1 with the refusal in English and Vietnamese when the caller may not do it', async () => {
    const auditor = await t.token('auditor');
    const r = await payments(['import', cycle.id, path.join(dir, 'ket-qua.csv'), '--token', auditor]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^FORBIDDEN: .+\n.+/);
    const other = await t.token('commune_officer', ['24847']);
    const hidden = await payments(['export', cycle.id, '--format', 'csv', '--out', path.join(dir, 'x.csv'), '--token', other]);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toContain('NOT_FOUND');
  });

  it.concurrent.each([
    [['frobnicate'], 'Unknown command "frobnicate": export or import'],
    [['export'], 'export needs a cycle id'],
    [['export', 'c', '--out', 'x'], 'export needs --format csv or --format xlsx'],
    [['export', 'c', '--format', 'pdf', '--out', 'x'], 'export needs --format csv or --format xlsx'],
    [['export', 'c', '--format', 'csv'], 'export needs --out <file>'],
    [['import', 'c'], 'import needs the file to read'],
    [['export', 'c', '--format', 'csv', '--out', 'x', '--lang', 'fr'], '--lang must be vi or en'],
    [['export', 'c', '--format', 'csv', '--out', 'x', '--colour'], "Unknown option '--colour'"],
    [['export', 'c', '--format', 'csv', '--out', 'x'], 'A token is required: --token <JWT> or ANSINH_TOKEN'],
  ])('a usage error %j: exit 2, the message and where to read the usage', async (args, message) => {
    const r = await payments(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('See: npm run payments -- --help');
    expect(r.stdout).toBe('');
  });

  it('answers --help with the commands, exit 0', async () => {
    const r = await payments(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('export <cycleId> --format csv|xlsx --out <file>');
    expect(r.stdout).toContain('import <cycleId> <file> [--errors <file>]');
  });
});
