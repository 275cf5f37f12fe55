import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { checkNationalId } from '../src/core/national-id.js';
import { classifyPoverty, DEPRIVATION_INDICATORS } from '../src/core/poverty.js';
import { seedAll } from '../seeds/index.js';
import { POVERTY_STANDARDS } from '../src/reference/reference.js';

const PEOPLE = 3_000;

async function fresh(): Promise<Database> {
  const database = await openDatabase({ dataDir: 'memory://' });
  await runMigrations(database);
  return database;
}

async function rows<T>(database: Database, query: string): Promise<T[]> {
  return (await database.db.execute(sql.raw(query))).rows as T[];
}

/** The one row of an aggregate query (`count(*)` always answers exactly one). */
async function oneRow<T>(database: Database, query: string): Promise<T> {
  const [row] = await rows<T>(database, query);
  if (row === undefined) throw new Error(`no row from: ${query}`);
  return row;
}

async function digest(database: Database): Promise<string> {
  const persons = await rows<Record<string, unknown>>(
    database,
    `SELECT id, national_id, full_name, date_of_birth::text, sex, ethnicity, commune_code, household_id, relation_to_head, date_of_death::text,
            resident_from::text, resident_to::text
       FROM persons ORDER BY id`,
  );
  const assessments = await rows(database, `SELECT id, household_id, income_per_person, deprivations, classification FROM poverty_assessments ORDER BY id`);
  // Residence histories: every column but the database's own id and timestamp.
  const periods = await rows(
    database,
    `SELECT person_id, household_id, commune_code, relation_to_head, valid_from::text, valid_to::text, destination, reason
       FROM residence_periods ORDER BY person_id, valid_from`,
  );
  const households = await rows(database, `SELECT id, code, commune_code, village_code, head_person_id FROM households ORDER BY id`);
  return createHash('sha256')
    .update(JSON.stringify([persons, assessments, periods, households]))
    .digest('hex');
}

describe('classifyPoverty (AND rule)', () => {
  const standard = POVERTY_STANDARDS[0];
  const three = DEPRIVATION_INDICATORS.slice(0, 3).map((d) => d.code);
  it('is poor only with income at or under the line and 3+ deprivations', () => {
    expect(classifyPoverty({ incomePerPerson: 1_500_000, area: 'RURAL', deprivations: three }, standard)).toBe('POOR');
    expect(classifyPoverty({ incomePerPerson: 1_500_000, area: 'RURAL', deprivations: three.slice(0, 2) }, standard)).toBe('NEAR_POOR');
    expect(classifyPoverty({ incomePerPerson: 1_500_001, area: 'RURAL', deprivations: three }, standard)).toBe('NONE');
    expect(classifyPoverty({ incomePerPerson: 1_800_000, area: 'URBAN', deprivations: three }, standard)).toBe('POOR');
    // Duplicates count once.
    expect(classifyPoverty({ incomePerPerson: 1_000_000, area: 'RURAL', deprivations: ['EMPLOYMENT', 'EMPLOYMENT', 'NUTRITION'] }, standard)).toBe('NEAR_POOR');
  });
});

describe('seeds', () => {
  let a: Database;
  let b: Database;
  beforeAll(async () => {
    [a, b] = await Promise.all([fresh(), fresh()]);
    await seedAll(a, { people: PEOPLE, seed: 7 });
    await seedAll(b, { people: PEOPLE, seed: 7 });
  });
  afterAll(async () => {
    // Either may be unset (whatever its declared type says) if beforeAll failed before opening it.
    const opened: (Database | undefined)[] = [a, b];
    for (const d of opened) await d?.close();
  });

  it('is deterministic: the same seed gives identical rows, ids included', async () => {
    expect(await digest(a)).toBe(await digest(b));
  });

  it('is idempotent', async () => {
    const again = await seedAll(a, { people: PEOPLE, seed: 7 });
    expect(again.skipped).toBe(true);
    const { n } = await oneRow<{ n: number }>(a, 'SELECT count(*)::int AS n FROM persons');
    expect(n).toBe(PEOPLE);
    const { units } = await oneRow<{ units: number }>(
      a,
      `SELECT count(*)::int AS units FROM admin_units WHERE code IN ('68', '675', '24846', '24847', '24848', '24850', '24862', '24865')`,
    );
    expect(units).toBe(8);
  });

  it('gives consistent, unique identification numbers', async () => {
    const people = await rows<{ national_id: string; dob: string; sex: 'MALE' | 'FEMALE' }>(
      a,
      `SELECT national_id, date_of_birth::text AS dob, sex FROM persons WHERE national_id IS NOT NULL`,
    );
    expect(people.length).toBeGreaterThan(PEOPLE * 0.9);
    expect(new Set(people.map((p) => p.national_id)).size).toBe(people.length);
    expect(people.filter((p) => checkNationalId(p.national_id, p.dob, p.sex) !== undefined)).toEqual([]);
  });

  it('stores classifications that follow from the stored measurements', async () => {
    const assessments = await rows<{ income_per_person: number; area: 'RURAL' | 'URBAN'; deprivations: string[]; classification: string }>(
      a,
      `SELECT income_per_person, area, deprivations, classification FROM poverty_assessments`,
    );
    for (const x of assessments) {
      expect(classifyPoverty({ incomePerPerson: x.income_per_person, area: x.area, deprivations: x.deprivations }, POVERTY_STANDARDS[0])).toBe(
        x.classification,
      );
    }
    expect(assessments.some((x) => x.classification === 'POOR')).toBe(true);
  });

  it('has people who moved: within a commune, between communes, out of the district, and households split off', async () => {
    const kinds = await oneRow<{ movers: number; within: number; between: number; out: number; splits: number; reasons: string[] }>(
      a,
      `WITH earlier AS (
         SELECT rp.person_id, rp.commune_code FROM residence_periods rp JOIN persons p ON p.id = rp.person_id
          WHERE rp.commune_code IS NOT NULL AND rp.valid_from < p.resident_from)
       SELECT (SELECT count(DISTINCT person_id)::int FROM residence_periods rp
                WHERE EXISTS (SELECT 1 FROM residence_periods o WHERE o.person_id = rp.person_id AND o.id <> rp.id)) AS movers,
              (SELECT count(*)::int FROM earlier e JOIN persons p ON p.id = e.person_id JOIN residence_periods l ON l.person_id = p.id AND l.valid_from = p.resident_from
                WHERE e.commune_code = p.commune_code AND l.reason = 'MOVE') AS within,
              (SELECT count(*)::int FROM earlier e JOIN persons p ON p.id = e.person_id WHERE e.commune_code <> p.commune_code) AS between,
              (SELECT count(*)::int FROM residence_periods WHERE commune_code IS NULL AND destination IS NOT NULL AND reason = 'TRANSFER_OUT') AS out,
              (SELECT count(*)::int FROM residence_periods rp JOIN households h ON h.id = rp.household_id AND h.head_person_id = rp.person_id
                WHERE rp.reason = 'SPLIT') AS splits,
              (SELECT array_agg(DISTINCT reason ORDER BY reason) FROM residence_periods) AS reasons`,
    );
    // A few percent of the population.
    expect(kinds.movers).toBeGreaterThan(PEOPLE * 0.015);
    expect(kinds.movers).toBeLessThan(PEOPLE * 0.06);
    expect(kinds.within).toBeGreaterThan(0);
    expect(kinds.between).toBeGreaterThan(0);
    expect(kinds.out).toBeGreaterThan(0);
    expect(kinds.splits).toBeGreaterThan(0);
    expect(kinds.reasons).toEqual(['MOVE', 'REGISTRATION', 'SPLIT', 'TRANSFER_OUT']);
  });

  it('gives everyone a history from birth without overlaps, and a copy of its latest period in the district', async () => {
    const { overlaps } = await oneRow<{ overlaps: number }>(
      a,
      `SELECT count(*)::int AS overlaps FROM residence_periods x JOIN residence_periods y ON y.person_id = x.person_id AND y.id <> x.id
        WHERE x.valid_from <= COALESCE(y.valid_to, 'infinity') AND y.valid_from <= COALESCE(x.valid_to, 'infinity')`,
    );
    expect(overlaps).toBe(0);
    // Each period ends the day before the next one starts (no gaps); the first starts at birth; the last is open.
    const { broken } = await oneRow<{ broken: number }>(
      a,
      `SELECT count(*)::int AS broken FROM (
         SELECT rp.person_id, rp.valid_from, rp.valid_to, p.date_of_birth,
                lead(rp.valid_from) OVER w AS next_from, row_number() OVER w AS n
           FROM residence_periods rp JOIN persons p ON p.id = rp.person_id WINDOW w AS (PARTITION BY rp.person_id ORDER BY rp.valid_from)) x
        WHERE (x.n = 1 AND x.valid_from <> x.date_of_birth)
           OR (x.next_from IS NOT NULL AND x.valid_to <> x.next_from - 1)
           OR (x.next_from IS NULL AND x.valid_to IS NOT NULL)`,
    );
    expect(broken).toBe(0);
    const { stale } = await oneRow<{ stale: number }>(
      a,
      `SELECT count(*)::int AS stale FROM persons p
        JOIN LATERAL (SELECT * FROM residence_periods rp WHERE rp.person_id = p.id AND rp.commune_code IS NOT NULL ORDER BY rp.valid_from DESC LIMIT 1) l ON true
        WHERE (l.commune_code, l.household_id, l.relation_to_head, l.valid_from) IS DISTINCT FROM (p.commune_code, p.household_id, p.relation_to_head, p.resident_from)
           OR l.valid_to IS DISTINCT FROM p.resident_to`,
    );
    expect(stale).toBe(0);
    // A household's commune is its members' (the periods' commune is the household's).
    const { misplaced } = await oneRow<{ misplaced: number }>(
      a,
      `SELECT count(*)::int AS misplaced FROM residence_periods rp JOIN households h ON h.id = rp.household_id WHERE h.commune_code <> rp.commune_code`,
    );
    expect(misplaced).toBe(0);
  });

  it('enrols nobody who has left the district, and nobody for a month before they lived where they qualified', async () => {
    const { outside } = await oneRow<{ outside: number }>(
      a,
      `SELECT count(*)::int AS outside FROM enrolments e JOIN persons p ON p.id = e.person_id
        WHERE p.resident_to IS NOT NULL OR p.resident_from > e.start_month`,
    );
    const { enrolled } = await oneRow<{ enrolled: number }>(a, `SELECT count(*)::int AS enrolled FROM enrolments`);
    expect(enrolled).toBeGreaterThan(0);
    // A mover enrolled from before the move would be paid for months at the old address by the new one: the demo
    // enrols movers only from after their latest move (or not at all).
    expect(outside).toBe(0);
  });

  it('has Nguyễn Văn Đức, households with their heads, and no one dead before birth', async () => {
    const { duc } = await oneRow<{ duc: number }>(a, `SELECT count(*)::int AS duc FROM persons WHERE full_name_search = 'nguyen van duc'`);
    expect(duc).toBeGreaterThan(0);
    const { orphans } = await oneRow<{ orphans: number }>(
      a,
      `SELECT count(*)::int AS orphans FROM households h WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = h.head_person_id AND p.household_id = h.id)`,
    );
    expect(orphans).toBe(0);
  });

  it('pays a history of cycles through the payments service: lines match totals, most paid, a few failed, once', async () => {
    const { createDomainServices } = await import('../src/app.js');
    const { seedDemoPayments } = await import('../seeds/payments.js');
    const services = await createDomainServices({ database: a, clock: { today: () => '2026-11-29' } });
    const first = await seedDemoPayments(a, services.payments, { asOf: '2026-11-29', months: 3 });
    expect(first.cycles).toBeGreaterThan(0);
    expect(first.lines).toBeGreaterThan(0);
    const byMonth = await rows<{ period: string; cycles: number; approved: number; lines: number; paid: number; failed: number; pending: number }>(
      a,
      `SELECT c.period::text AS period, count(DISTINCT c.id)::int AS cycles, count(DISTINCT c.id) FILTER (WHERE c.status = 'APPROVED')::int AS approved,
              count(p.id)::int AS lines, count(p.id) FILTER (WHERE p.status = 'PAID')::int AS paid,
              count(p.id) FILTER (WHERE p.status = 'FAILED')::int AS failed, count(p.id) FILTER (WHERE p.status = 'PENDING')::int AS pending
         FROM payment_cycles c LEFT JOIN payments p ON p.cycle_id = c.id GROUP BY c.period ORDER BY c.period`,
    );
    expect(byMonth.map((m) => m.period)).toEqual(['2026-08-01', '2026-09-01', '2026-10-01', '2026-11-01']);
    for (const m of byMonth) expect(m.approved).toBe(m.cycles);
    for (const m of byMonth.slice(0, 3)) {
      expect(m.pending).toBe(0);
      expect(m.paid).toBeGreaterThan(m.failed);
    }
    expect(byMonth[3]).toMatchObject({ paid: 0, failed: 0 });
    expect(byMonth.reduce((n, m) => n + m.lines, 0)).toBe(first.lines);
    // Every cycle's control totals still match its lines, and the audit log holds the cycles' events intact.
    const { mismatched } = await oneRow<{ mismatched: number }>(
      a,
      `SELECT count(*)::int AS mismatched FROM payment_cycles c
        WHERE c.line_count <> (SELECT count(*) FROM payments p WHERE p.cycle_id = c.id)
           OR c.payable_amount <> (SELECT coalesce(sum(amount), 0) FROM payments p WHERE p.cycle_id = c.id AND amount > 0)`,
    );
    expect(mismatched).toBe(0);
    const admin = { subject: 'test', role: 'admin' as const, communes: [], scopes: new Set<string>() };
    expect((await services.audit.verifyChain(admin)).ok).toBe(true);
    expect((await seedDemoPayments(a, services.payments, { asOf: '2026-11-29', months: 3 })).skipped).toBe(true);
  });

  it('plants every kind of audit finding, through the use cases and one documented legacy import, once', async () => {
    const { createDomainServices } = await import('../src/app.js');
    const { seedDemoFindings, PLANTED_PER_KIND } = await import('../seeds/findings.js');
    const { FINDING_KINDS } = await import('../src/core/code-lists.js');
    const services = await createDomainServices({ database: a, clock: { today: () => '2026-11-29' } });
    const events = async () => (await oneRow<{ n: number }>(a, `SELECT count(*)::int AS n FROM audit_events`)).n;
    const eventsBefore = await events();
    const { planted } = await seedDemoFindings(a, services, { asOf: '2026-11-29' });
    const admin = { subject: 'test', role: 'admin' as const, communes: [], scopes: new Set<string>() };
    const found = await services.findings.allFindings(admin, { from: '2026-08', to: '2026-11' });
    const byKind = new Map(FINDING_KINDS.map((k) => [k, found.filter((f) => f.kind === k)]));
    for (const kind of FINDING_KINDS) expect(byKind.get(kind)?.length ?? 0, kind).toBeGreaterThan(0);
    // Each planted person (or enrolment) is named by a finding of the kind planted on them.
    for (const [kind, ids] of Object.entries(planted)) {
      expect(ids, kind).toHaveLength(PLANTED_PER_KIND);
      const named = new Set(byKind.get(kind as (typeof FINDING_KINDS)[number])?.flatMap((f) => [...f.personIds, ...f.enrolmentIds]));
      for (const id of ids) expect(named.has(id), `${kind} ${id}`).toBe(true);
    }
    expect(Object.keys(planted).sort()).toEqual(FINDING_KINDS.filter((k) => k !== 'ELIGIBLE_NOT_ENROLLED').sort());
    // The use cases wrote their audit events; the legacy import kept its host cycle's control totals true.
    expect(await events()).toBeGreaterThan(eventsBefore + 5 * PLANTED_PER_KIND);
    const { mismatched } = await oneRow<{ mismatched: number }>(
      a,
      `SELECT count(*)::int AS mismatched FROM payment_cycles c
        WHERE c.line_count <> (SELECT count(*) FROM payments p WHERE p.cycle_id = c.id)
           OR c.payable_amount <> (SELECT coalesce(sum(amount), 0) FROM payments p WHERE p.cycle_id = c.id AND amount > 0)`,
    );
    expect(mismatched).toBe(0);
    const legacy = byKind.get('DUPLICATE_PAYMENT')?.[0];
    const exported = await services.exchange.exportCycle(
      admin,
      (await oneRow<{ id: string }>(a, `SELECT cycle_id::text AS id FROM payments WHERE kind = 'BACK_PAY' AND reference LIKE 'LEGACY-%' LIMIT 1`)).id,
    );
    expect(exported.payable.some((l) => legacy?.paymentIds.includes(l.lineId))).toBe(true);
    expect((await services.audit.verifyChain(admin)).ok).toBe(true);
    expect((await seedDemoFindings(a, services, { asOf: '2026-11-29' })).skipped).toBe(true);
  });
});
