/**
 * Reference data every installation needs: Lạc Dương's administrative units of both generations (before
 * and after the 2025 reorganisation), the dated "extremely disadvantaged" classifications the rules read,
 * and the poverty standards. Sources and caveats: docs/law.md (places and identifiers, which communes and
 * villages are extremely disadvantaged, the poverty standard), which cites each decree.
 *
 * Idempotent and additive: one transaction, existing rows untouched, missing ones inserted (see
 * seedReferenceData); the seed_runs row 'reference' records the version applied.
 */
import type { Db } from '../db/client.js';
import { adminUnits, areaClassifications, povertyStandards, seedRuns } from '../db/schema/index.js';
import { seedProgramsAndRules } from './programs.js';
import { seedTimingRules } from './timing-rules.js';

export const PROVINCE_CODE = '68';
export const DISTRICT_CODE = '675';
/** The district was abolished on 2025-07-01 (districts ended nationwide); its communes merged the same day. */
export const OLD_GENERATION_VALID_TO = '2025-06-30';
export const NEW_GENERATION_VALID_FROM = '2025-07-01';
/** Lạc Dương district was re-established from Đà Lạt's suburbs in 2004 (Decree 189/2004): our "since" date. */
export const OLD_GENERATION_VALID_FROM = '2004-01-01';

/**
 * The 2025 successor units. Their official codes could not be confirmed, so the codes below are
 * PROVISIONAL placeholders of ours (5 digits starting with 9, a range GSO does not use for Lâm Đồng), stored
 * with code_confirmed = false. An admin replaces them once the official list is at hand.
 */
export const SUCCESSOR_UNITS = [
  { code: '90001', name: 'Xã Lạc Dương', kind: 'xã', predecessors: ['24865', '24848', '24847'], outside: [] as string[] },
  {
    code: '90002',
    name: 'Phường Lang Biang – Đà Lạt',
    kind: 'phường',
    predecessors: ['24846', '24862'],
    outside: ['Phường 7 (thành phố Đà Lạt)'],
  },
  { code: '90003', name: 'Xã Đam Rông 4', kind: 'xã', predecessors: ['24850'], outside: ['Xã Đạ Tông', 'Xã Đạ Long (huyện Đam Rông)'] },
] as const;

export interface VillageSeed {
  /** Two-digit number; the village code is `<commune code>.<nn>`. */
  nn: string;
  name: string;
  kind: 'thôn' | 'bon' | 'tổ dân phố';
}

export interface CommuneSeed {
  code: string;
  name: string;
  kind: 'xã' | 'thị trấn';
  /** Code of the 2025 successor unit (see SUCCESSOR_UNITS). */
  successorCode: string;
  /** Urban for the poverty standard (the thị trấn); the communes are rural. */
  area: 'RURAL' | 'URBAN';
  villages: readonly VillageSeed[];
}

const v = (nn: number, name: string, kind: VillageSeed['kind'] = 'thôn'): VillageSeed => ({
  nn: String(nn).padStart(2, '0'),
  name,
  kind,
});

/**
 * Lạc Dương's six communes (GSO codes) and their villages. Villages have no GSO code: ours are
 * `<commune>.<nn>`. Village names are illustrative where we could not check the commune's own list (the
 * numbered "Thôn N" ones especially): the commune office corrects them; nothing in the rules depends on them.
 */
export const LAC_DUONG_COMMUNES: readonly CommuneSeed[] = [
  {
    code: '24846',
    name: 'Thị trấn Lạc Dương',
    kind: 'thị trấn',
    successorCode: '90002',
    area: 'URBAN',
    villages: [
      v(1, 'Tổ dân phố Đăng Lèn', 'tổ dân phố'),
      v(2, 'Tổ dân phố Bon Đơng 1', 'tổ dân phố'),
      v(3, 'Tổ dân phố Bon Đơng 2', 'tổ dân phố'),
      v(4, 'Tổ dân phố Đăng Gia Rít 1', 'tổ dân phố'),
      v(5, 'Tổ dân phố Đăng Gia Rít 2', 'tổ dân phố'),
      v(6, 'Tổ dân phố Đa Ra Hoa', 'tổ dân phố'),
      v(7, 'Tổ dân phố Lang Biang', 'tổ dân phố'),
    ],
  },
  {
    code: '24847',
    name: 'Xã Đạ Chais',
    kind: 'xã',
    successorCode: '90001',
    area: 'RURAL',
    villages: [v(1, 'Thôn Klong Klanh'), v(2, 'Thôn Đạ Ploa'), v(3, 'Thôn Tu Pứ'), v(4, 'Thôn Đa Blah'), v(5, 'Thôn Đưng Iar Hang')],
  },
  {
    code: '24848',
    name: 'Xã Đạ Nhim',
    kind: 'xã',
    successorCode: '90001',
    area: 'RURAL',
    villages: [v(1, 'Thôn 1'), v(2, 'Thôn 2'), v(3, 'Thôn 3'), v(4, 'Thôn 4'), v(5, 'Thôn 5'), v(6, 'Thôn Đạ Tro')],
  },
  {
    code: '24850',
    name: "Xã Đưng K'Nớ",
    kind: 'xã',
    successorCode: '90003',
    area: 'RURAL',
    villages: [v(1, 'Thôn 1'), v(2, 'Thôn 2'), v(3, 'Thôn 3'), v(4, 'Thôn 4'), v(5, 'Thôn 5')],
  },
  {
    code: '24862',
    name: 'Xã Lát',
    kind: 'xã',
    successorCode: '90002',
    area: 'RURAL',
    villages: [
      v(1, 'Thôn Đạ Nghịt'),
      v(2, "Thôn Đưng K'Si"),
      v(3, 'Thôn Păng Tiêng'),
      v(4, 'Thôn Bon Đưng 1'),
      v(5, 'Thôn Bon Đưng 2'),
      v(6, 'Bon Dơng', 'bon'),
    ],
  },
  {
    code: '24865',
    name: 'Xã Đạ Sar',
    kind: 'xã',
    successorCode: '90001',
    area: 'RURAL',
    villages: [v(1, 'Thôn 1'), v(2, 'Thôn 2'), v(3, 'Thôn 3'), v(4, 'Thôn 4'), v(5, 'Thôn 5'), v(6, 'Thôn 6')],
  },
];

export const LAC_DUONG_COMMUNE_CODES: readonly string[] = LAC_DUONG_COMMUNES.map((c) => c.code);

export const villageCode = (communeCode: string, nn: string): string => `${communeCode}.${nn}`;

/** Region III communes under Decision 861/QĐ-TTg (unconfirmed for Lạc Dương; Đưng K'Nớ met the new-rural standard in 2021). */
export const REGION_III_COMMUNES_2021 = ['24865', '24848', '24847'] as const;

/** Villages seeded as thôn đặc biệt khó khăn under Decision 612/QĐ-UBDT (plausible, unconfirmed). */
export const EXTREMELY_DISADVANTAGED_VILLAGES_2021 = ['24865.03', '24865.06', '24848.05', '24848.06', '24847.03', '24847.05', '24850.04', '24850.05'] as const;

const UNCONFIRMED_NOTE =
  'Chưa xác nhận: danh sách của Lạc Dương trong quyết định này chưa được đối chiếu với văn bản gốc; ' +
  'dữ liệu mẫu do huyện duy trì, cán bộ có thẩm quyền xác nhận hoặc sửa kèm số quyết định. ' +
  '(Unconfirmed: seeded from secondary sources, see docs/law.md; an admin confirms or corrects it citing the decision.)';

export const POVERTY_STANDARDS = [
  {
    code: 'DECREE_07_2021',
    validFrom: '2022-01-01',
    validTo: '2026-12-31',
    ruralIncomeLine: 1_500_000,
    urbanIncomeLine: 2_000_000,
    poorMinDeprivations: 3,
    legalBasis: 'Nghị định 07/2021/NĐ-CP; kéo dài đến 31/12/2026 bởi Nghị định 351/2025/NĐ-CP',
  },
  {
    code: 'DECREE_351_2025',
    validFrom: '2027-01-01',
    validTo: '2030-12-31',
    ruralIncomeLine: 2_200_000,
    urbanIncomeLine: 2_800_000,
    poorMinDeprivations: 3,
    legalBasis: 'Nghị định 351/2025/NĐ-CP',
  },
] as const;

type AdminUnitRow = typeof adminUnits.$inferInsert;

export function referenceAdminUnits(): AdminUnitRow[] {
  const rows: AdminUnitRow[] = [
    { code: PROVINCE_CODE, name: 'Tỉnh Lâm Đồng', level: 'PROVINCE', kind: 'tỉnh', parentCode: null, validFrom: '1976-02-20' },
    {
      code: DISTRICT_CODE,
      name: 'Huyện Lạc Dương',
      level: 'DISTRICT',
      kind: 'huyện',
      parentCode: PROVINCE_CODE,
      validFrom: OLD_GENERATION_VALID_FROM,
      validTo: OLD_GENERATION_VALID_TO,
    },
  ];
  for (const s of SUCCESSOR_UNITS) {
    rows.push({
      code: s.code,
      name: s.name,
      level: 'COMMUNE',
      kind: s.kind,
      // Districts no longer exist from 2025-07-01: the new communes hang directly under the province.
      parentCode: PROVINCE_CODE,
      validFrom: NEW_GENERATION_VALID_FROM,
      codeConfirmed: false,
    });
  }
  for (const c of LAC_DUONG_COMMUNES) {
    rows.push({
      code: c.code,
      name: c.name,
      level: 'COMMUNE',
      kind: c.kind,
      parentCode: DISTRICT_CODE,
      validFrom: OLD_GENERATION_VALID_FROM,
      validTo: OLD_GENERATION_VALID_TO,
      successorCode: c.successorCode,
    });
    for (const vil of c.villages) {
      // Villages outlive the merger (they carry on under the successor commune, which their parent's
      // successor_code names), so they keep no end date. Their codes are ours, not GSO's.
      rows.push({
        code: villageCode(c.code, vil.nn),
        name: vil.name,
        level: 'VILLAGE',
        kind: vil.kind,
        parentCode: c.code,
        validFrom: OLD_GENERATION_VALID_FROM,
        codeConfirmed: false,
      });
    }
  }
  return rows;
}

type AreaClassificationRow = typeof areaClassifications.$inferInsert;

export function referenceAreaClassifications(): AreaClassificationRow[] {
  const rows: AreaClassificationRow[] = [];
  for (const code of REGION_III_COMMUNES_2021) {
    rows.push({
      unitCode: code,
      classification: 'EXTREMELY_DISADVANTAGED',
      validFrom: '2021-06-04',
      validTo: '2025-12-31',
      legalBasis: 'Quyết định 861/QĐ-TTg (2021-06-04)',
      confirmed: false,
      note: `Xã khu vực III. ${UNCONFIRMED_NOTE}`,
    });
  }
  for (const code of EXTREMELY_DISADVANTAGED_VILLAGES_2021) {
    rows.push({
      unitCode: code,
      classification: 'EXTREMELY_DISADVANTAGED',
      validFrom: '2021-09-16',
      validTo: '2025-12-31',
      legalBasis: 'Quyết định 612/QĐ-UBDT (2021-09-16)',
      confirmed: false,
      note: `Thôn đặc biệt khó khăn. ${UNCONFIRMED_NOTE}`,
    });
  }
  rows.push({
    unitCode: '90001',
    classification: 'EXTREMELY_DISADVANTAGED',
    validFrom: '2026-01-01',
    validTo: null,
    legalBasis: 'Nghị định 272/2025/NĐ-CP; Quyết định 60/QĐ-BDTTG (2026)',
    confirmed: false,
    note: `Giai đoạn 2026–2030. ${UNCONFIRMED_NOTE}`,
  });
  return rows;
}

/** Bumped whenever the reference set gains rows, so seed_runs shows which set a database has. */
export const REFERENCE_DATA_VERSION = 1;

/**
 * Seeds the reference data. Safe on every start: rows that exist are left alone (an admin may have
 * corrected them), rows a newer version of this file adds are inserted. Area classifications have no
 * natural key in the table; ours is (unit, classification, valid_from).
 */
export async function seedReferenceData(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    // Locks the seed_runs row first, so concurrent seeders run one after the other.
    await tx
      .insert(seedRuns)
      .values({ name: 'reference', details: { version: REFERENCE_DATA_VERSION } })
      .onConflictDoUpdate({ target: seedRuns.name, set: { details: { version: REFERENCE_DATA_VERSION } } });
    await tx.insert(adminUnits).values(referenceAdminUnits()).onConflictDoNothing();
    await tx
      .insert(povertyStandards)
      .values([...POVERTY_STANDARDS])
      .onConflictDoNothing();
    const existing = await tx
      .select({ unitCode: areaClassifications.unitCode, classification: areaClassifications.classification, validFrom: areaClassifications.validFrom })
      .from(areaClassifications);
    const have = new Set(existing.map((r) => `${r.unitCode}|${r.classification}|${r.validFrom}`));
    const missing = referenceAreaClassifications().filter((r) => !have.has(`${r.unitCode}|${r.classification}|${r.validFrom}`));
    if (missing.length > 0) await tx.insert(areaClassifications).values(missing);
  });
  // Programs, rule versions and base levels (programs.ts); idempotent (ON CONFLICT DO NOTHING).
  await seedProgramsAndRules(db);
  // Timing rules (timing-rules.ts): start and change months by period of the law; idempotent.
  await seedTimingRules(db);
}
