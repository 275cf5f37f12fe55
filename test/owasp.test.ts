/**
 * The checks of docs/security.md "OWASP API Security Top 10 and GraphQL" that no other test file held.
 *
 * Injection (API8, GraphQL cheat sheet "injection"): text that
 * SQL or a spreadsheet would read as code is data. Every value reaches SQL as a bound parameter (Drizzle's sql``),
 * LIKE wildcards in a name search are escaped (registry.repository.ts likeEscape), and CSV cells that a
 * spreadsheet would run as a formula get a leading apostrophe (table-stream.ts, audit-exports.ts csvCell).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';
import { household, LAT, ok } from './support/people.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  // Two elderly people (a beneficiary group), one with a name a spreadsheet would run as a formula.
  const h = await household(t, { commune: LAT });
  for (const [fullName, isHead] of [
    ['Nguyễn Văn Tiêm', true],
    ['=HYPERLINK("http://x.example","Tiêm")', false],
  ] as const) {
    ok(
      await t.gql(`mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { id } }`, {
        input: { fullName, dateOfBirth: '1930-01-01', sex: 'MALE', communeCode: LAT, householdId: h, isHead, relationToHead: isHead ? null : 'Em' },
      }),
    );
  }
});
afterAll(() => closeTestApp(t));

describe('injection', () => {
  const count = async (search: string) =>
    ok(await t.gql(`query($s: String) { beneficiaries(communeCode: "${LAT}", search: $s, asOf: "2024-08-01") { totalCount } }`, { s: search }), 'beneficiaries')
      .totalCount as number;

  it('SQL and LIKE metacharacters in a search are matched literally, never run', async () => {
    expect(await count('Tiêm')).toBe(2);
    for (const s of ["' OR 1=1 --", "'); DROP TABLE persons; --", '%', '_', '\\', 'Ti_m', '%Tiêm%']) expect(await count(s), s).toBe(0);
    expect(Number((await t.db.database.db.execute('SELECT count(*)::int AS n FROM persons')).rows[0]!.n)).toBeGreaterThan(0);
  });

  it('a name that reads as a spreadsheet formula is exported as text', async () => {
    const token = await t.token('district_officer');
    const res = await t.app.inject({
      method: 'GET',
      url: `/exports/beneficiaries.csv?communeCode=${LAT}&asOf=2024-08-01`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(200);
    const cell = res.body.split(/\r?\n/).find((l) => l.includes('HYPERLINK'));
    expect(cell).toBeDefined();
    expect(cell).toContain(`'=HYPERLINK`);
    expect(cell).not.toMatch(/(^|,)"?=HYPERLINK/);
  });
});

describe('mass assignment', () => {
  it('a write takes only the fields its input type declares: an id, an author or a timestamp is refused, nothing written', async () => {
    const before = Number((await t.db.database.db.execute('SELECT count(*)::int AS n FROM persons')).rows[0]!.n);
    for (const extra of [{ id: '00000000-0000-4000-8000-000000000000' }, { recordedBy: 'someone-else' }, { createdAt: '2020-01-01T00:00:00Z' }]) {
      const r = await t.gql(`mutation($input: RegisterPersonInput!) { registerPerson(input: $input) { id } }`, {
        input: { fullName: 'Trần Văn Gán', dateOfBirth: '1950-01-01', sex: 'MALE', communeCode: LAT, ...extra },
      });
      expect(r.body.errors?.[0]?.extensions?.code, JSON.stringify(extra)).toBe('VALIDATION_FAILED');
      expect(r.body.data ?? null).toBeNull();
    }
    expect(Number((await t.db.database.db.execute('SELECT count(*)::int AS n FROM persons')).rows[0]!.n)).toBe(before);
  });
});
