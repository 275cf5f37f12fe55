import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => closeTestApp(t));

describe('places', () => {
  it('serves the six communes of Lạc Dương with GSO codes and their 2025 successors', async () => {
    const r = await t.gql(`{ adminUnits(parentCode: "675") { code name level validTo successor { name codeConfirmed predecessors { code } } } }`);
    const communes = r.body.data.adminUnits.filter((u: { level: string }) => u.level === 'COMMUNE');
    expect(communes.map((c: { code: string }) => c.code).sort()).toEqual(['24846', '24847', '24848', '24850', '24862', '24865']);
    const daSar = communes.find((c: { code: string }) => c.code === '24865');
    expect(daSar).toMatchObject({ name: 'Xã Đạ Sar', validTo: '2025-06-30', successor: { name: 'Xã Lạc Dương', codeConfirmed: false } });
    expect(daSar.successor.predecessors.map((p: { code: string }) => p.code).sort()).toEqual(['24847', '24848', '24865']);
  });

  it('seeds classifications unconfirmed and lets only an admin confirm one, citing the decision', async () => {
    const r = await t.gql(`{ adminUnit(code: "24865") { classifications { id classification confirmed legalBasis validFrom } } }`);
    const [c] = r.body.data.adminUnit.classifications;
    expect(c).toMatchObject({ classification: 'EXTREMELY_DISADVANTAGED', confirmed: false });
    const m = `mutation($id: ID!, $b: String!) { confirmAreaClassification(id: $id, legalBasis: $b) { confirmed legalBasis } }`;
    const denied = await t.gql(m, { id: c.id, b: 'Quyết định 861/QĐ-TTg' }, await t.token('district_officer'));
    expect(denied.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const admin = await t.token('admin');
    const missing = await t.gql(m, { id: c.id, b: ' ' }, admin);
    expect(missing.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'legalBasis' });
    const ok = await t.gql(m, { id: c.id, b: 'Quyết định 861/QĐ-TTg (2021-06-04), phụ lục Lâm Đồng' }, admin);
    expect(ok.body.data.confirmAreaClassification).toEqual({ confirmed: true, legalBasis: 'Quyết định 861/QĐ-TTg (2021-06-04), phụ lục Lâm Đồng' });
    const after = await t.gql(`{ adminUnit(code: "24865") { classifications { id confirmed } } }`);
    expect(after.body.data.adminUnit.classifications.find((x: { id: string }) => x.id === c.id).confirmed).toBe(true);
  });

  it('records a new classification for a village, refusing a unit that is not a commune or village', async () => {
    const admin = await t.token('admin');
    const m = `mutation($i: AreaClassificationInput!) { recordAreaClassification(input: $i) { unitCode confirmed validFrom } }`;
    const input = { unitCode: '24862.01', classification: 'EXTREMELY_DISADVANTAGED', validFrom: '2026-01-01', legalBasis: 'Quyết định 60/QĐ-BDTTG (2026)' };
    const ok = await t.gql(m, { i: input }, admin);
    expect(ok.body.data.recordAreaClassification).toEqual({ unitCode: '24862.01', confirmed: true, validFrom: '2026-01-01' });
    const bad = await t.gql(m, { i: { ...input, unitCode: '675' } }, admin);
    expect(bad.body.errors[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.unitCode' });
  });
});

describe('audit chain', () => {
  it('verifies an intact chain and finds the first tampered event', async () => {
    const admin = await t.token('admin');
    for (const code of ['AUD-1', 'AUD-2', 'AUD-3']) {
      const r = await t.gql(`mutation { registerHousehold(input: { code: "${code}", communeCode: "24865" }) { id } }`, {}, admin);
      expect(r.body.errors).toBeUndefined();
    }
    const auditor = await t.token('auditor');
    const intact = await t.gql(`{ verifyAuditChain { ok eventsChecked firstBrokenSeq } }`, {}, auditor);
    expect(intact.body.data.verifyAuditChain).toMatchObject({ ok: true, firstBrokenSeq: null });
    const total = intact.body.data.verifyAuditChain.eventsChecked;
    expect(total).toBeGreaterThanOrEqual(3);

    // A superuser edits a past event directly in the database, lifting the append-only guard to do so.
    const db = t.db.database.db;
    const rows = await db.execute(`SELECT seq, entity_id FROM audit_events WHERE after->>'code' = 'AUD-2'`);
    const row = rows.rows[0] as { seq: number | string; entity_id: string };
    const seq = String(row.seq);
    await db.transaction(async (tx) => {
      await tx.execute(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
      await tx.execute(`UPDATE audit_events SET after = jsonb_set(after, '{address}', '"sửa lén"') WHERE seq = ${seq}`);
      await tx.execute(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    });
    const broken = await t.gql(`{ verifyAuditChain { ok firstBrokenSeq firstBroken { seq entityType entityId problem } } }`, {}, auditor);
    expect(broken.body.data.verifyAuditChain).toEqual({
      ok: false,
      firstBrokenSeq: seq,
      firstBroken: { seq, entityType: 'Household', entityId: row.entity_id, problem: 'HASH_MISMATCH' },
    });

    const officer = await t.gql(`{ verifyAuditChain { ok } }`, {}, await t.token('commune_officer', ['24865']));
    expect(officer.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });
});
