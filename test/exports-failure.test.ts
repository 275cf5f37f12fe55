/**
 * A database failure in the middle of an export, through the real app on a real database: the file already started
 * (200, the header and the first pages sent) must not end as if it were complete. The persons table is renamed
 * while the client holds the download paused (pages hold no lock between them), so the next page's statement
 * fails; the download must then be cut, without its final chunk, for CSV and XLSX. Before the file starts the same
 * failure is a JSON error.
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestApp, startTestApp, type TestApp } from './support/app.js';

const COMMUNE = '24848';
const PEOPLE = 20_000;
let t: TestApp;
let token: string;
let socketPath: string;

beforeAll(async () => {
  t = await startTestApp();
  // Elderly people straight in SQL (a trigger gives each a residence period): 20 pages of an export.
  await t.db.database.db.execute(
    `INSERT INTO persons (full_name, date_of_birth, sex, commune_code)
     SELECT 'Người Thử ' || i, DATE '1935-01-01' + (i % 3000), 'FEMALE', '${COMMUNE}' FROM generate_series(1, ${PEOPLE}) i`,
  );
  token = await t.token('district_officer');
  // A Unix socket: small kernel buffers, so a paused client stalls the export a few pages in.
  socketPath = path.join(os.tmpdir(), `an-sinh-exports-failure-${process.pid}.sock`);
  await t.app.listen({ path: socketPath });
}, 120_000);
afterAll(() => closeTestApp(t));

const rename = (from: string, to: string) => t.db.database.db.execute(`ALTER TABLE ${from} RENAME TO ${to}`);

/** Starts the download, pauses it after the first bytes, breaks the database, resumes; what did the client get? */
function downloadWhileTheDatabaseFails(url: string): Promise<{ status: number; bytes: number; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: url, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let bytes = 0;
      let settled = false;
      const done = (complete: boolean) => {
        if (!settled) {
          settled = true;
          resolve({ status: res.statusCode ?? 0, bytes, complete });
        }
      };
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.once('data', () => {
        res.pause();
        void rename('persons', 'persons_away').then(() => res.resume(), reject);
      });
      res.on('end', () => {
        done(res.complete);
      });
      res.on('aborted', () => {
        done(false);
      });
      res.on('error', () => {
        done(false);
      });
      res.on('close', () => {
        done(res.complete);
      });
    });
    req.on('error', () => undefined);
  });
}

describe('a database failure during an export', () => {
  it.each(['csv', 'xlsx'])('cuts the %s download: no final chunk, never a file that looks complete', async (format) => {
    try {
      const r = await downloadWhileTheDatabaseFails(`/exports/beneficiaries.${format}?communeCode=${COMMUNE}&group=ELDERLY&asOf=2026-06-30`);
      expect(r.status).toBe(200);
      expect(r.bytes).toBeGreaterThan(0);
      expect(r.complete).toBe(false);
    } finally {
      await rename('persons_away', 'persons');
    }
    // The database is back: the same export is whole again.
    const whole = await t.app.inject({
      method: 'GET',
      url: `/exports/beneficiaries.csv?communeCode=${COMMUNE}&group=ELDERLY&asOf=2026-06-30`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(whole.statusCode).toBe(200);
    expect(whole.body.trimEnd().split('\r\n')).toHaveLength(PEOPLE + 1);
  });

  it('before the file starts, the same failure is a JSON error', async () => {
    await rename('persons', 'persons_away');
    try {
      const r = await t.app.inject({
        method: 'GET',
        url: `/exports/beneficiaries.csv?communeCode=${COMMUNE}&asOf=2026-06-30`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(r.statusCode).toBe(500);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.json()).toEqual({ error: { code: 'INTERNAL', message: 'Internal error', messageVi: 'Lỗi hệ thống' } });
    } finally {
      await rename('persons_away', 'persons');
    }
  });
});
