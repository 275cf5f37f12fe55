/**
 * Issue 14, case 2 (logs) and case 4 (statement timeout): a database error on a person write is logged
 * with its code and constraint, never with the query's parameters; a query cut short by the statement
 * timeout is answered TIMEOUT, not INTERNAL.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../src/logging.js';
import { makeNationalId } from '../src/core/national-id.js';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

const REGISTER = `mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { id } }`;

describe('database errors in the log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ logger: pino(loggerOptions('info'), sink) });
    // The database itself refuses this name, as it would any value that passes validation but not a constraint.
    await t.db.database.execScript(`ALTER TABLE persons ADD CONSTRAINT edge_test_refused_name CHECK (full_name <> 'Ka Nhung Refused')`);
  });
  afterAll(() => closeTestApp(t));

  it('logs the code and constraint of a failed person write, not the identification number, name or birth date', async () => {
    const nationalId = makeNationalId('068', 1961, 'FEMALE', 515151);
    lines.length = 0;
    const r = await t.gql(REGISTER, {
      input: { nationalId, fullName: 'Ka Nhung Refused', dateOfBirth: '1961-04-04', sex: 'FEMALE', communeCode: '24865', relationToHead: 'Vợ' },
    });
    expect(r.body.errors?.[0]?.extensions?.code).toBe('INTERNAL');
    // The client is told nothing of the database: no constraint, table, SQL state or stack (OWASP error verbosity).
    expect(JSON.stringify(r.body)).not.toMatch(/edge_test_refused_name|persons|23514|stack|at \w+ \(/);
    const all = lines.join('\n');
    const errorLine = lines.map((l) => JSON.parse(l)).find((l) => l.level === 50);
    expect(errorLine?.err).toMatchObject({ database: { code: '23514', constraint: 'edge_test_refused_name', table: 'persons' } });
    expect(all).not.toContain(nationalId);
    expect(all).not.toMatch(/(?<![\w-])\d{12}(?![\w-])/);
    expect(all).not.toContain('Ka Nhung');
    expect(all).not.toContain('1961-04-04');
    expect(all).not.toContain('Vợ');
  });
});

describe('statement timeout', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: { statementTimeoutMs: 700 } });
    // A household insert that takes longer than the timeout.
    await t.db.database.execScript(`
      CREATE FUNCTION edge_test_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$;
      CREATE TRIGGER edge_test_slow BEFORE INSERT ON households FOR EACH ROW EXECUTE FUNCTION edge_test_slow();`);
  });
  afterAll(() => closeTestApp(t));

  it('is set on the connection, and a statement running past it is answered TIMEOUT, with nothing written', async () => {
    const shown = await t.db.database.db.execute('SHOW statement_timeout');
    expect(Object.values(shown.rows[0] as object)[0]).toBe('700ms');
    // PGlite (single-threaded WASM) accepts the setting but has no timer to cancel a statement.
    if (t.db.database.kind === 'pglite') return;
    const started = Date.now();
    const r = await t.gql(`mutation { registerHousehold(input: { code: "SLOW-1", communeCode: "24865" }) { id } }`);
    expect(r.status).toBeLessThan(500);
    expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'TIMEOUT', messageVi: expect.any(String) });
    expect(Date.now() - started).toBeLessThan(2500);
    const n = await t.db.database.db.execute(`SELECT count(*)::int AS n FROM households WHERE code = 'SLOW-1'`);
    expect(Number(n.rows[0]!.n)).toBe(0);
  });
});
