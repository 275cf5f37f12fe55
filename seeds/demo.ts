/**
 * The demo population: invented households and people shaped like Lạc Dương's (a young, two-thirds
 * ethnic-minority mountain district), with the circumstances the rules read: poverty assessments,
 * disability certificates, merit records, pensions, pregnancies and deaths.
 *
 * - Deterministic: everything, uuids included, comes from one seeded PRNG (mulberry32), so the same
 *   (people, seed, asOf) always gives identical rows; tests and benchmarks can name people by id.
 * - Idempotent: the transaction first claims the seed_runs row 'demo'; a second run does nothing.
 * - Streaming: households are generated and written in chunks, so a million people need little memory.
 *   On a real server rows go through COPY FROM STDIN; on PGlite through large multi-row INSERTs of
 *   literals (no bind parameters, so the 65,535-parameter limit does not apply).
 * - Beyond the district (more than 100,000 people) the extra people live in synthetic communes of about
 *   5,000 people each (codes 9xxxxx, names "Xã Mẫu 0001", code_confirmed = false) under synthetic
 *   districts of a synthetic province '99', so per-commune queries stay realistic at national scale.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database, Tx } from '../src/db/client.js';
import { EVERYONE } from '../src/db/schema/entitlement-inputs.js';
import { makeNationalId, PROVINCE_PREFIXES, type Sex } from '../src/core/national-id.js';
import { classifyPoverty, DEPRIVATION_CODES, type DeprivationIndicator, type PovertyArea } from '../src/core/poverty.js';
import {
  CIL_CLANS,
  ETHNICITY,
  type Ethnicity,
  KHO_CLANS,
  KHO_FEMALE_GIVEN,
  KHO_MALE_GIVEN,
  KINH_FAMILY,
  KINH_FEMALE_GIVEN,
  KINH_FEMALE_MIDDLE,
  KINH_MALE_GIVEN,
  KINH_MALE_MIDDLE,
  LACH_CLANS,
  TAY_NUNG_FAMILY,
} from './names.js';
import { seedDemoEnrolments } from './enrolments.js';
import { LAC_DUONG_COMMUNES, POVERTY_STANDARDS, villageCode } from '../src/reference/reference.js';

export const DEFAULT_AS_OF = '2026-11-29';
export const DEFAULT_SEED = 20_260_629;
/** Up to this many people everybody lives in Lạc Dương's six communes; beyond it, synthetic communes take the rest. */
export const DISTRICT_SCALE_LIMIT = 100_000;
const REAL_DISTRICT_PEOPLE = 36_000;
const SYNTHETIC_COMMUNE_PEOPLE = 5_000;
const SYNTHETIC_PROVINCE = '99';
const CHUNK_HOUSEHOLDS = 2_500;
const SLICE_HOUSEHOLDS = 250;
const INSERT_ROWS_PER_STATEMENT = 2_000;

export interface DemoOptions {
  people: number;
  seed?: number;
  /** The "today" of the data (yyyy-mm-dd): ages, recent pregnancies and deaths are relative to it. */
  asOf?: string;
  /** From how many people a real server bulk-loads (REBUILD_INDEXES_FROM); tests lower it to exercise that path. */
  bulkLoadFrom?: number;
}

export interface DemoResult {
  people: number;
  households: number;
  ms: number;
  /** True when the demo population was already there and nothing was written. */
  skipped?: boolean;
  /** Rows written per table (residence_periods: besides the one the trigger writes per person). */
  rows?: Record<string, number>;
  /** People who have moved at least once, and households split off (MOVES). */
  movers?: number;
  splits?: number;
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------------------------

/** items[i] for an index the caller knows is in range; a bug (or an empty list) throws rather than yield undefined. */
function itemAt<T>(items: readonly T[], i: number): T {
  const item = items[i];
  if (item === undefined) throw new RangeError(`no item ${i} in a list of ${items.length}`);
  return item;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Two hex digits of a byte (0–255). */
const hex = (byte: number): string => itemAt(HEX, byte);

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** mulberry32: 32 random bits. */
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }
  float(): number {
    return this.u32() / 4294967296;
  }
  /** Integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  /** One of `items`, uniformly (throws on an empty list). */
  pick<T>(items: readonly T[]): T {
    return itemAt(items, Math.floor(this.float() * items.length));
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.float() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    // Reached only when rounding leaves r at 0 after the last weight: that last item.
    return itemAt(items, items.length - 1)[0];
  }
  /**
   * A uuid made of PRNG bits, so ids are reproducible. Shaped like a version-7 uuid: the first 48 bits
   * count up from a fixed instant (2026-01-01T00:00Z, one "millisecond" per id), so each table's ids
   * arrive in ascending order and its primary-key b-tree grows at the right edge instead of being
   * written all over (which, on a bulk load, is most of the difference between fast and slow).
   */
  uuid(): string {
    const ts = UUID_EPOCH_MS + this.sequence++;
    const hi = Math.floor(ts / 65536);
    const lo = ts % 65536;
    const b = ((this.u32() & 0x0fff) | 0x7000) >>> 0;
    const c = ((this.u32() & 0x3fffffff) | 0x80000000) >>> 0;
    const d = this.u32();
    return (
      hex(hi >>> 24) +
      hex((hi >>> 16) & 255) +
      hex((hi >>> 8) & 255) +
      hex(hi & 255) +
      '-' +
      hex(lo >>> 8) +
      hex(lo & 255) +
      '-' +
      hex(b >>> 8) +
      hex(b & 255) +
      '-' +
      hex(c >>> 24) +
      hex((c >>> 16) & 255) +
      '-' +
      hex((c >>> 8) & 255) +
      hex(c & 255) +
      hex(d >>> 24) +
      hex((d >>> 16) & 255) +
      hex((d >>> 8) & 255) +
      hex(d & 255)
    );
  }
  private sequence = 0;
}

const UUID_EPOCH_MS = Date.UTC(2026, 0, 1);

// ---------------------------------------------------------------------------------------------
// Calendar dates as day numbers (days since 1970-01-01), formatted once each
// ---------------------------------------------------------------------------------------------

function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const dateCache = new Map<number, string>();
function isoDate(day: number): string {
  let s = dateCache.get(day);
  if (s === undefined) {
    s = new Date(day * 86_400_000).toISOString().slice(0, 10);
    dateCache.set(day, s);
  }
  return s;
}

function parseDate(iso: string): { y: number; m: number; d: number; day: number } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!match) throw new RangeError(`not a yyyy-mm-dd date: ${iso}`);
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return { y, m, d, day: daysFromCivil(y, m, d) };
}

// ---------------------------------------------------------------------------------------------
// Where people live
// ---------------------------------------------------------------------------------------------

interface CommunePlan {
  code: string;
  /** Lower-case form for addresses: "xã Đạ Sar". */
  addressName: string;
  addressTail: string;
  area: PovertyArea;
  villages: { code: string; name: string }[];
  people: number;
  /** Share of households of an ethnic minority, and which. */
  minorityShare: number;
  minorityMix: readonly (readonly [Ethnicity, number])[];
  poorShare: number;
  nearPoorShare: number;
  /** Share of people 60+ with a pension or monthly social-insurance benefit. */
  pensionShare: number;
  /** Average household size is 3.9 + this. */
  sizeShift: number;
  idPrefix: string;
}

const KHO_MOUNTAIN: readonly (readonly [Ethnicity, number])[] = [
  [ETHNICITY.KHO, 85],
  [ETHNICITY.CIL, 10],
  [ETHNICITY.TAY, 3],
  [ETHNICITY.NUNG, 2],
];
const LANG_BIANG: readonly (readonly [Ethnicity, number])[] = [
  [ETHNICITY.LACH, 48],
  [ETHNICITY.KHO, 44],
  [ETHNICITY.CIL, 4],
  [ETHNICITY.TAY, 2],
  [ETHNICITY.NUNG, 2],
];

/** Per commune: share of the district's people, of minority households, poverty, pensions (plausible, not official). */
const LAC_DUONG_PROFILE: Record<
  string,
  Omit<CommunePlan, 'code' | 'addressName' | 'addressTail' | 'area' | 'villages' | 'people' | 'idPrefix'> & { weight: number }
> = {
  '24846': { weight: 10, minorityShare: 0.36, minorityMix: LANG_BIANG, poorShare: 0.04, nearPoorShare: 0.04, pensionShare: 0.18, sizeShift: -0.3 },
  '24862': { weight: 6, minorityShare: 0.85, minorityMix: LANG_BIANG, poorShare: 0.135, nearPoorShare: 0.09, pensionShare: 0.04, sizeShift: 0.2 },
  '24865': { weight: 5.5, minorityShare: 0.82, minorityMix: KHO_MOUNTAIN, poorShare: 0.15, nearPoorShare: 0.1, pensionShare: 0.03, sizeShift: 0.3 },
  '24848': {
    weight: 5,
    minorityShare: 0.68,
    minorityMix: [
      [ETHNICITY.KHO, 62],
      [ETHNICITY.CIL, 28],
      [ETHNICITY.TAY, 6],
      [ETHNICITY.NUNG, 4],
    ],
    poorShare: 0.14,
    nearPoorShare: 0.09,
    pensionShare: 0.04,
    sizeShift: 0.2,
  },
  '24847': { weight: 3, minorityShare: 0.86, minorityMix: KHO_MOUNTAIN, poorShare: 0.15, nearPoorShare: 0.1, pensionShare: 0.03, sizeShift: 0.3 },
  '24850': { weight: 3, minorityShare: 0.9, minorityMix: KHO_MOUNTAIN, poorShare: 0.14, nearPoorShare: 0.09, pensionShare: 0.03, sizeShift: 0.3 },
};

function profileOf(communeCode: string) {
  const profile = LAC_DUONG_PROFILE[communeCode];
  if (!profile) throw new Error(`no demo profile for commune ${communeCode}`);
  return profile;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function splitExactly(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((w) => Math.floor((total * w) / sum));
  let left = total - parts.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0; i = (i + 1) % parts.length, left--) parts[i] = itemAt(parts, i) + 1;
  return parts;
}

interface SyntheticUnit {
  code: string;
  name: string;
  level: 'PROVINCE' | 'DISTRICT' | 'COMMUNE' | 'VILLAGE';
  kind: string;
  parentCode: string;
}

function planCommunes(people: number): { plans: CommunePlan[]; synthetic: SyntheticUnit[] } {
  const districtPeople = people <= DISTRICT_SCALE_LIMIT ? people : REAL_DISTRICT_PEOPLE;
  const shares = splitExactly(
    districtPeople,
    LAC_DUONG_COMMUNES.map((c) => profileOf(c.code).weight),
  );
  const plans: CommunePlan[] = LAC_DUONG_COMMUNES.map((c, i) => {
    const profile = profileOf(c.code);
    return {
      minorityShare: profile.minorityShare,
      minorityMix: profile.minorityMix,
      poorShare: profile.poorShare,
      nearPoorShare: profile.nearPoorShare,
      pensionShare: profile.pensionShare,
      sizeShift: profile.sizeShift,
      code: c.code,
      addressName: lowerFirst(c.name),
      addressTail: 'huyện Lạc Dương, tỉnh Lâm Đồng',
      area: c.area,
      villages: c.villages.map((v) => ({ code: villageCode(c.code, v.nn), name: v.name })),
      people: itemAt(shares, i),
      idPrefix: '068',
    };
  });
  const synthetic: SyntheticUnit[] = [];
  const rest = people - districtPeople;
  if (rest > 0) {
    const prefixes = [...PROVINCE_PREFIXES];
    const communes = Math.max(1, Math.round(rest / SYNTHETIC_COMMUNE_PEOPLE));
    const sizes = splitExactly(
      rest,
      Array.from({ length: communes }, () => 1),
    );
    synthetic.push({ code: SYNTHETIC_PROVINCE, name: 'Tỉnh Mẫu (dữ liệu tổng hợp)', level: 'PROVINCE', kind: 'tỉnh', parentCode: '' });
    for (let i = 0; i < communes; i++) {
      const d = Math.floor(i / 10) + 1;
      const districtCode = `9${String(d).padStart(3, '0')}`;
      if (i % 10 === 0) {
        synthetic.push({
          code: districtCode,
          name: `Huyện Mẫu ${String(d).padStart(3, '0')}`,
          level: 'DISTRICT',
          kind: 'huyện',
          parentCode: SYNTHETIC_PROVINCE,
        });
      }
      const n = String(i + 1).padStart(4, '0');
      const code = `9${String(i + 1).padStart(5, '0')}`;
      synthetic.push({ code, name: `Xã Mẫu ${n}`, level: 'COMMUNE', kind: 'xã', parentCode: districtCode });
      const villages: { code: string; name: string }[] = [];
      for (let v = 1; v <= 5; v++) {
        const vc = `${code}.0${v}`;
        villages.push({ code: vc, name: `Thôn ${v}` });
        synthetic.push({ code: vc, name: `Thôn ${v}`, level: 'VILLAGE', kind: 'thôn', parentCode: code });
      }
      plans.push({
        code,
        addressName: `xã Mẫu ${n}`,
        addressTail: `huyện Mẫu ${String(d).padStart(3, '0')}, tỉnh Mẫu`,
        area: 'RURAL',
        villages,
        people: itemAt(sizes, i),
        minorityShare: 0.15,
        minorityMix: [
          [ETHNICITY.TAY, 40],
          [ETHNICITY.NUNG, 30],
          [ETHNICITY.KHO, 30],
        ],
        poorShare: 0.05,
        nearPoorShare: 0.05,
        pensionShare: 0.2,
        sizeShift: 0,
        // One birth-registration province per synthetic district.
        idPrefix: itemAt(prefixes, (d * 7) % prefixes.length),
      });
    }
  }
  return { plans, synthetic };
}

// ---------------------------------------------------------------------------------------------
// Output: COPY on a real server, multi-row INSERT on PGlite
// ---------------------------------------------------------------------------------------------

type Cell = string | number | null | readonly string[];
type Row = Cell[];

const TABLES = {
  households: ['id', 'code', 'commune_code', 'village_code', 'address', 'head_person_id'],
  // commune_code, household_id, relation_to_head, resident_from, resident_to: the copy of the latest period in the
  // district (src/db/residence.ts); the persons_first_residence trigger writes that period (see MOVES below).
  persons: [
    'id',
    'national_id',
    'full_name',
    'date_of_birth',
    'sex',
    'ethnicity',
    'commune_code',
    'household_id',
    'relation_to_head',
    'date_of_death',
    'resident_from',
    'resident_to',
  ],
  // The periods of movers other than the one the trigger writes: the earlier ones, and the one outside the district.
  residence_periods: ['person_id', 'household_id', 'commune_code', 'relation_to_head', 'valid_from', 'valid_to', 'destination', 'reason'],
  // What opened a mover's latest period (MOVE, SPLIT), for the trigger's REGISTRATION (a temporary table).
  demo_move_reasons: ['person_id', 'reason'],
  poverty_assessments: ['id', 'household_id', 'assessed_on', 'standard_code', 'area', 'income_per_person', 'deprivations', 'classification', 'decision_no'],
  disability_certificates: ['id', 'person_id', 'level', 'certificate_no', 'issued_on', 'valid_to'],
  merit_records: ['id', 'person_id', 'category', 'injury_rate', 'decision_no', 'recognized_on', 'valid_to'],
  pension_statuses: ['id', 'person_id', 'kind', 'monthly_amount', 'starts_on', 'ends_on', 'decision_no'],
  pregnancies: ['id', 'person_id', 'reported_on', 'expected_delivery_on', 'ended_on', 'outcome'],
} as const;
type TableName = keyof typeof TABLES;
/** Written in this order: persons reference households, circumstances reference persons. */
const TABLE_ORDER = Object.keys(TABLES) as TableName[];
/** The tables of the schema (the rest is temporary). */
const SCHEMA_TABLES = TABLE_ORDER.filter((t) => t !== 'demo_move_reasons');

/**
 * Residence histories (LAW.md "Moving house"), so a newcomer sees some: about 3% of the people have moved at least
 * once. Per household, a married child may have split off into a household of their own; per other living member,
 * a move from another household of the same commune, from another commune, or out of the district (with a
 * destination). Moves within the district are dated up to the 2025 merger (the demo's households keep the old
 * commune codes, which take no new residence after it); moves out, up to the day before asOf. Drawn from a PRNG of
 * their own, so the rest of the population is the one the same seed always gave.
 *
 * The persons_first_residence trigger (migration 0005) writes each inserted person's period from resident_from,
 * COPY included. A mover is inserted with the copy of their latest period in the district (resident_from the move
 * date; resident_to set for a move out) and the seed writes the other periods; the trigger's period, labelled
 * REGISTRATION, is then relabelled with what opened it (MOVE, SPLIT) in one UPDATE from demo_move_reasons.
 */
const MOVES = {
  /** Share of households of which a married child (20–40) has split off. */
  split: 0.03,
  /** Share of other living members who have moved, and how. */
  move: 0.045,
  kinds: [
    ['WITHIN', 45],
    ['BETWEEN', 30],
    ['OUT', 25],
  ] as const,
  earliest: daysFromCivil(2016, 1, 1),
  /** The last day of the communes before the 2025 merger. */
  lastInDistrict: daysFromCivil(2025, 6, 30),
  destinations: ['TP. Hồ Chí Minh', 'Tỉnh Đồng Nai', 'Tỉnh Bình Dương', 'Tỉnh Đắk Lắk', 'TP. Đà Nẵng', 'Hà Nội'],
};

interface Sink {
  exec(sqlText: string): Promise<{ rows: unknown[] }>;
  write(table: TableName, rows: Row[]): Promise<void>;
}

const COPY_ESCAPE = /[\\\t\n\r]/g;
const NEEDS_COPY_ESCAPE = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function copyCell(c: Cell): string {
  if (c === null) return '\\N';
  if (typeof c === 'number') return String(c);
  if (typeof c === 'string') return NEEDS_COPY_ESCAPE.test(c) ? c.replace(COPY_ESCAPE, (m) => COPY_ESCAPES[m] ?? m) : c;
  // text[] of indicator codes: plain identifiers, no quoting needed.
  return `{${c.join(',')}}`;
}

function literal(c: Cell): string {
  if (c === null) return 'NULL';
  if (typeof c === 'number') return String(c);
  if (typeof c === 'string') return `'${c.replace(/'/g, "''")}'`;
  return `'{${c.join(',')}}'`;
}

class CopySink implements Sink {
  constructor(private readonly client: pg.PoolClient) {}
  async exec(sqlText: string) {
    return this.client.query(sqlText);
  }
  async write(table: TableName, rows: Row[]) {
    if (rows.length === 0) return;
    const payload = rows.map((r) => r.map(copyCell).join('\t')).join('\n') + '\n';
    const stream = this.client.query(copyFrom(`COPY ${table} (${TABLES[table].join(', ')}) FROM STDIN`));
    await pipeline(Readable.from([payload]), stream);
  }
}

class InsertSink implements Sink {
  constructor(private readonly tx: Tx) {}
  async exec(sqlText: string) {
    return this.tx.execute(sql.raw(sqlText));
  }
  async write(table: TableName, rows: Row[]) {
    const head = `INSERT INTO ${table} (${TABLES[table].join(', ')}) VALUES `;
    for (let at = 0; at < rows.length; at += INSERT_ROWS_PER_STATEMENT) {
      const values = rows.slice(at, at + INSERT_ROWS_PER_STATEMENT).map((r) => `(${r.map(literal).join(',')})`);
      await this.tx.execute(sql.raw(head + values.join(',\n')));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

interface Member {
  age: number;
  sex: Sex;
  relation: string;
  ethnicity: Ethnicity;
  /** K'Ho clan or Kinh family name. */
  family: string;
}

const MIGRANT_PREFIXES = ['036', '034', '038', '040', '042', '049', '046', '079', '037', '035', '052', '066'] as const;
const MINORITY_GROUPS: ReadonlySet<string> = new Set([ETHNICITY.KHO, ETHNICITY.LACH, ETHNICITY.CIL]);

/** Stats for the caller and the report. */
export interface DemoStats {
  households: number;
  people: number;
  /** People with more than one residence period, and households split off. */
  movers: number;
  splits: number;
  rows: Record<TableName, number>;
}

class Generator {
  private readonly rng: Rng;
  private readonly asOfDay: number;
  private readonly asOf: { y: number; m: number; d: number };
  /** Next serial per national-id bucket (its first six digits). */
  private readonly idBuckets = new Map<string, number>();
  private nguyenVanDucDone = false;
  private disabilitySeq = 0;
  private meritSeq = 0;
  private pensionSeq = 0;
  readonly stats: DemoStats = {
    households: 0,
    people: 0,
    movers: 0,
    splits: 0,
    rows: {
      households: 0,
      persons: 0,
      residence_periods: 0,
      demo_move_reasons: 0,
      poverty_assessments: 0,
      disability_certificates: 0,
      merit_records: 0,
      pension_statuses: 0,
      pregnancies: 0,
    },
  };
  /** Residence histories (MOVES) draw from their own PRNG. */
  private readonly moves: Rng;
  /** The latest household generated in each commune: where a mover came from. */
  private readonly lastHousehold = new Map<string, string>();

  constructor(seed: number, asOf: string) {
    this.rng = new Rng(seed);
    this.moves = new Rng((seed ^ 0x5bd1e995) >>> 0);
    const p = parseDate(asOf);
    this.asOfDay = p.day;
    this.asOf = p;
  }

  /** A birth date for someone whose age (completed years) on asOf is `age`. */
  private birthDay(age: number): number {
    const { y, m, d } = this.asOf;
    const hi = daysFromCivil(y - age, m, d);
    const lo = daysFromCivil(y - age - 1, m, d) + 1;
    return this.rng.int(lo, hi);
  }

  private ethnicityOf(plan: CommunePlan): Ethnicity {
    return this.rng.chance(plan.minorityShare) ? this.rng.weighted(plan.minorityMix) : ETHNICITY.KINH;
  }

  private familyName(e: Ethnicity): string {
    const r = this.rng;
    switch (e) {
      case ETHNICITY.KINH:
        return r.weighted(KINH_FAMILY);
      case ETHNICITY.TAY:
      case ETHNICITY.NUNG:
        return r.pick(TAY_NUNG_FAMILY);
      case ETHNICITY.LACH:
        return r.pick(LACH_CLANS);
      case ETHNICITY.CIL:
        return r.pick(CIL_CLANS);
      default:
        return r.pick(KHO_CLANS);
    }
  }

  private fullName(m: Member): string {
    const r = this.rng;
    if (MINORITY_GROUPS.has(m.ethnicity)) {
      const given = r.pick(m.sex === 'MALE' ? KHO_MALE_GIVEN : KHO_FEMALE_GIVEN);
      const prefix = m.sex === 'MALE' ? "K'" : 'Ka';
      const style = r.float();
      if (style < 0.5) return `${m.family} ${prefix} ${given}`; // Kră Jăn K' Sơn, Liêng Ka Hoàn
      if (style < 0.78) return `${prefix} ${given}`; // K' Brếu, Ka Điệp
      return `${m.family} ${given}`; // Cil Múp, Liêng Jrang Ha Thuận
    }
    const middle = r.weighted(m.sex === 'MALE' ? KINH_MALE_MIDDLE : KINH_FEMALE_MIDDLE);
    const given = r.pick(m.sex === 'MALE' ? KINH_MALE_GIVEN : KINH_FEMALE_GIVEN);
    return middle === given ? `${m.family} ${given}` : `${m.family} ${middle} ${given}`;
  }

  private householdSize(plan: CommunePlan): number {
    const size = this.rng.weighted([
      [1, 6],
      [2, 14],
      [3, 20],
      [4, 25],
      [5, 18],
      [6, 10],
      [7, 5],
      [8, 2],
    ] as const);
    if (plan.sizeShift > 0 && size < 8 && this.rng.chance(plan.sizeShift)) return size + 1;
    if (plan.sizeShift < 0 && size > 1 && this.rng.chance(-plan.sizeShift)) return size - 1;
    return size;
  }

  /** Ages, sexes and relations of one household's members; the head first. */
  private members(size: number, ethnicity: Ethnicity, plan: CommunePlan): Member[] {
    const r = this.rng;
    const matrilineal = MINORITY_GROUPS.has(ethnicity);
    const headMale = r.chance(matrilineal ? 0.55 : 0.78);
    const headFamily = this.familyName(ethnicity);
    if (size === 1) {
      const elderly = r.chance(0.46);
      const age = elderly ? 60 + Math.floor(38 * r.float() ** 1.5) : r.int(19, 59);
      const sex: Sex = elderly ? (r.chance(0.68) ? 'FEMALE' : 'MALE') : headMale ? 'MALE' : 'FEMALE';
      return [{ age, sex, relation: 'Chủ hộ', ethnicity, family: headFamily }];
    }
    let headAge = r.weighted([
      [r.int(20, 29), 16],
      [r.int(30, 39), 28],
      [r.int(40, 49), 23],
      [r.int(50, 59), 16],
      [r.int(60, 69), 10],
      [r.int(70, 92), 6],
    ] as const);
    // Old enough to have the children the household needs, born a couple of years apart.
    headAge = Math.max(headAge, 20 + 3 * (size - 2) + r.int(0, 6));
    const head: Member = { age: headAge, sex: headMale ? 'MALE' : 'FEMALE', relation: 'Chủ hộ', ethnicity, family: headFamily };
    const out: Member[] = [head];
    let rem = size - 1;
    let mother: Member | undefined = headMale ? undefined : head;
    let father: Member | undefined = headMale ? head : undefined;
    if (r.chance(0.9)) {
      // A spouse of another group now and then (ethnic-minority wife with a Kinh husband and vice versa).
      const spouseEthnicity = r.chance(0.05) ? (ethnicity === ETHNICITY.KINH ? r.weighted(plan.minorityMix) : ETHNICITY.KINH) : ethnicity;
      const spouseAge = Math.max(18, headMale ? headAge - r.int(-1, 6) : headAge + r.int(-1, 6));
      const spouse: Member = {
        age: spouseAge,
        sex: headMale ? 'FEMALE' : 'MALE',
        relation: headMale ? 'Vợ' : 'Chồng',
        ethnicity: spouseEthnicity,
        family: spouseEthnicity === ethnicity && r.chance(0.02) ? headFamily : this.familyName(spouseEthnicity),
      };
      out.push(spouse);
      if (headMale) mother = spouse;
      else father = spouse;
      rem--;
    }
    // Children belong to the mother's clan in K'Ho families, to the father's family among the Kinh.
    const childEthnicity = mother && MINORITY_GROUPS.has(mother.ethnicity) ? mother.ethnicity : (father ?? head).ethnicity;
    const childFamily = mother && MINORITY_GROUPS.has(mother.ethnicity) ? mother.family : father ? father.family : this.familyName(childEthnicity);
    const parentAge = mother ? mother.age : head.age;
    if (rem >= 2 && headAge >= 56 && r.chance(0.6)) {
      // Three generations: an adult child and grandchildren ("Cháu").
      const adultAge = Math.max(18, parentAge - r.int(20, 32));
      out.push({ age: adultAge, sex: r.chance(0.5) ? 'MALE' : 'FEMALE', relation: 'Con', ethnicity: childEthnicity, family: childFamily });
      rem--;
      let age = Math.max(0, adultAge - r.int(19, 27));
      while (rem > 0) {
        out.push({
          age: Math.max(0, age),
          sex: r.chance(0.51) ? 'MALE' : 'FEMALE',
          relation: 'Cháu',
          ethnicity: childEthnicity,
          family: this.familyName(childEthnicity),
        });
        age = age - r.int(1, 4);
        if (age < 0) age = r.int(0, 2);
        rem--;
      }
      return out;
    }
    if (rem >= 3 && headAge < 48 && r.chance(0.3)) {
      const parentSex: Sex = r.chance(0.65) ? 'FEMALE' : 'MALE';
      out.push({
        age: Math.min(99, headAge + r.int(22, 38)),
        sex: parentSex,
        relation: parentSex === 'FEMALE' ? 'Mẹ' : 'Cha',
        ethnicity,
        family: this.familyName(ethnicity),
      });
      rem--;
    }
    let age = parentAge - r.int(19, 28);
    while (rem > 0) {
      const childAge = age < 0 ? r.int(0, 1) : Math.min(age, 34);
      out.push({ age: childAge, sex: r.chance(0.51) ? 'MALE' : 'FEMALE', relation: 'Con', ethnicity: childEthnicity, family: childFamily });
      age -= r.int(1, 4);
      rem--;
    }
    return out;
  }

  private nationalId(plan: CommunePlan, m: Member, birthYear: number): string | null {
    const r = this.rng;
    // Legacy records without a number: mostly the elderly registered long ago.
    if (r.chance(m.age >= 70 ? 0.08 : 0.025)) return null;
    let prefix = plan.idPrefix;
    if (plan.idPrefix === '068' && m.ethnicity === ETHNICITY.KINH && m.age >= 30 && r.chance(0.4)) prefix = r.pick(MIGRANT_PREFIXES);
    else if (r.chance(0.03)) prefix = r.pick(MIGRANT_PREFIXES);
    const probe = makeNationalId(prefix, birthYear, m.sex, 0).slice(0, 6);
    const k = this.idBuckets.get(probe) ?? 0;
    if (k >= 900_000) return null;
    this.idBuckets.set(probe, k + 1);
    // A bijection of 0..899999 (multiplier coprime to 900,000) makes the serials look random yet never
    // repeat. Serials under 100000 are left to hand-made records (tests), so they never collide with ours.
    let h = 0;
    for (let i = 0; i < probe.length; i++) h = (h * 31 + probe.charCodeAt(i)) % 900_000;
    const serial = 100_000 + ((k * 481_397 + h) % 900_000);
    return makeNationalId(prefix, birthYear, m.sex, serial);
  }

  private deprivations(count: number): string[] {
    const picked = new Set<DeprivationIndicator>();
    // Housing, sanitation, information devices and adult education are the usual gaps in the highlands.
    const weights: [DeprivationIndicator, number][] = DEPRIVATION_CODES.map((c) => [
      c,
      c === 'HEALTH_INSURANCE'
        ? 0.3
        : c === 'CHILD_SCHOOL_ATTENDANCE'
          ? 0.6
          : c === 'HYGIENIC_LATRINE' || c === 'HOUSING_QUALITY' || c === 'INFORMATION_DEVICES'
            ? 2.5
            : c === 'ADULT_EDUCATION' || c === 'FLOOR_AREA' || c === 'EMPLOYMENT'
              ? 1.8
              : 1,
    ]);
    while (picked.size < count) picked.add(this.rng.weighted(weights));
    return [...picked].sort((a, b) => DEPRIVATION_CODES.indexOf(a) - DEPRIVATION_CODES.indexOf(b));
  }

  /** Generates up to `maxHouseholds` more households of a commune into `out`. */
  generate(plan: CommunePlan, state: { people: number; households: number }, maxHouseholds: number, out: Record<TableName, Row[]>): void {
    const r = this.rng;
    const standard = POVERTY_STANDARDS[0];
    const line = plan.area === 'URBAN' ? standard.urbanIncomeLine : standard.ruralIncomeLine;
    const assessedOn = '2025-12-15';
    const earlierOn = '2024-12-15';
    const asOfDay = this.asOfDay;
    for (let n = 0; n < maxHouseholds && state.people < plan.people; n++) {
      let size = this.householdSize(plan);
      size = Math.min(size, plan.people - state.people);
      const householdId = r.uuid();
      state.households++;
      const seq = state.households;
      const village = itemAt(plan.villages, seq % plan.villages.length);
      const anchor = !this.nguyenVanDucDone && plan.code === itemAt(LAC_DUONG_COMMUNES, 0).code;
      const ethnicity = anchor ? ETHNICITY.KINH : this.ethnicityOf(plan);
      const members = this.members(size, ethnicity, plan);
      if (anchor) {
        // Tests look this man up as "nguyen van duc": make sure he exists at every scale.
        const head = itemAt(members, 0);
        head.sex = 'MALE';
        head.family = 'Nguyễn';
        head.age = Math.max(head.age, 30);
        if (members[1]?.relation === 'Chồng') members[1].relation = 'Vợ';
        if (members[1]) members[1].sex = 'FEMALE';
        for (const m of members) if (m.relation === 'Con' && m.ethnicity === ETHNICITY.KINH) m.family = 'Nguyễn';
      }
      let headId = '';
      const mv = this.moves;
      // A married child (20–40, living) who has set up their own household: the first such "Con".
      const splitting = !anchor && mv.chance(MOVES.split) ? members.findIndex((m, i) => i > 0 && m.relation === 'Con' && m.age >= 20 && m.age <= 40) : -1;
      for (const [i, m] of members.entries()) {
        const id = r.uuid();
        if (i === 0) headId = id;
        const dob = this.birthDay(m.age);
        const birthYear = Number(isoDate(dob).slice(0, 4));
        const name = anchor && i === 0 ? 'Nguyễn Văn Đức' : this.fullName(m);
        if (anchor && i === 0) this.nguyenVanDucDone = true;
        // Deaths (~0.5%): never the head, mostly the old, in the last three years.
        let death: number | null = null;
        if (i > 0 && r.chance(m.age >= 80 ? 0.16 : m.age >= 60 ? 0.035 : 0.002)) {
          death = Math.max(dob, asOfDay - r.int(1, 1000));
        }
        const nationalId = this.nationalId(plan, m, birthYear);
        // The latest period in the district (the copy on the person row), and the mover's other periods.
        let home = householdId;
        let relation = m.relation;
        let from = dob;
        let to: number | null = null;
        if (death === null && i > 0 && !anchor) {
          const moved =
            i === splitting
              ? this.split(plan, householdId, seq, village, id, dob, out)
              : mv.chance(MOVES.move)
                ? this.move(plan, householdId, m, id, dob, out)
                : undefined;
          if (moved) ({ home, relation, from, to } = { ...moved, home: moved.household });
        }
        out.persons.push([
          id,
          nationalId,
          name,
          isoDate(dob),
          m.sex,
          m.ethnicity,
          plan.code,
          home,
          relation,
          death === null ? null : isoDate(death),
          isoDate(from),
          to === null ? null : isoDate(to),
        ]);
        state.people++;
        this.stats.people++;
        this.personCircumstances(plan, m, id, dob, death, out);
      }
      out.households.push([
        householdId,
        `${plan.code}-${String(seq).padStart(5, '0')}`,
        plan.code,
        village.code,
        plan.area === 'URBAN'
          ? `Số ${r.int(1, 180)}, ${village.name}, ${plan.addressName}, ${plan.addressTail}`
          : `${village.name}, ${plan.addressName}, ${plan.addressTail}`,
        headId,
      ]);
      this.stats.households++;
      this.lastHousehold.set(plan.code, householdId);

      // Poverty: draw the intended class, then generate income and deprivations that produce it, and let
      // classifyPoverty decide, so the stored classification always follows from the stored measurements.
      const u = r.float();
      let income: number;
      let deprived: string[];
      if (u < plan.poorShare) {
        income = r.int(500, line / 1000) * 1000;
        deprived = this.deprivations(r.int(3, 6));
      } else if (u < plan.poorShare + plan.nearPoorShare) {
        income = r.int(700, line / 1000) * 1000;
        deprived = this.deprivations(r.int(0, 2));
      } else {
        income = Math.round((line * (1.05 + 2.5 * r.float() ** 1.5)) / 1000) * 1000;
        deprived = this.deprivations(
          r.weighted([
            [0, 40],
            [1, 30],
            [2, 18],
            [3, 8],
            [4, 4],
          ] as const),
        );
      }
      const cls = classifyPoverty({ incomePerPerson: income, area: plan.area, deprivations: deprived }, standard);
      const decision = (year: number) => `${plan.code.length === 5 ? (Number(plan.code.slice(2)) % 900) + 100 : 100}/QĐ-UBND-${year}`;
      if (r.chance(0.35)) {
        // The year before: a little poorer on average.
        const earlierIncome = Math.round((income * (0.8 + 0.2 * r.float())) / 1000) * 1000;
        const earlierDeprived = r.chance(0.3) ? this.deprivations(Math.min(12, deprived.length + 1)) : deprived;
        const earlierCls = classifyPoverty({ incomePerPerson: earlierIncome, area: plan.area, deprivations: earlierDeprived }, standard);
        out.poverty_assessments.push([
          r.uuid(),
          householdId,
          earlierOn,
          standard.code,
          plan.area,
          earlierIncome,
          earlierDeprived,
          earlierCls,
          earlierCls === 'NONE' ? null : decision(2024),
        ]);
      }
      out.poverty_assessments.push([
        r.uuid(),
        householdId,
        assessedOn,
        standard.code,
        plan.area,
        income,
        deprived,
        cls,
        cls === 'NONE' ? null : decision(2025),
      ]);
    }
  }

  /** A day in [lo, hi], or undefined when the range is empty. */
  private moveDay(lo: number, hi: number): number | undefined {
    return lo > hi ? undefined : this.moves.int(lo, hi);
  }

  /**
   * The child `id` of household `parent` split off into a household of their own, of which they are the head: the
   * new household, the period in the parent household up to the day before. Returns the latest period.
   */
  private split(
    plan: CommunePlan,
    parent: string,
    seq: number,
    village: { code: string; name: string },
    id: string,
    dob: number,
    out: Record<TableName, Row[]>,
  ): { household: string; relation: string; from: number; to: null } | undefined {
    const on = this.moveDay(Math.max(MOVES.earliest, dob + 20 * 365), Math.min(MOVES.lastInDistrict, this.asOfDay - 1));
    if (on === undefined) return undefined;
    const household = this.moves.uuid();
    out.households.push([
      household,
      `${plan.code}-${String(seq).padStart(5, '0')}.1`,
      plan.code,
      village.code,
      `${village.name}, ${plan.addressName}, ${plan.addressTail}`,
      id,
    ]);
    out.residence_periods.push([id, parent, plan.code, 'Con', isoDate(dob), isoDate(on - 1), null, 'REGISTRATION']);
    out.demo_move_reasons.push([id, 'SPLIT']);
    this.stats.households++;
    this.stats.splits++;
    this.stats.movers++;
    return { household, relation: 'Chủ hộ', from: on, to: null };
  }

  /**
   * Member `id` of `household` moved: into it from another household of this commune or of another commune, or out
   * of the district from it. Writes the other period; returns the latest period in the district.
   */
  private move(
    plan: CommunePlan,
    household: string,
    m: Member,
    id: string,
    dob: number,
    out: Record<TableName, Row[]>,
  ): { household: string; relation: string; from: number; to: number | null } | undefined {
    const mv = this.moves;
    const kind = mv.weighted(MOVES.kinds);
    if (kind === 'OUT') {
      if (m.age < 18) return undefined;
      const on = this.moveDay(Math.max(MOVES.earliest, dob + 18 * 365), this.asOfDay - 1);
      if (on === undefined) return undefined;
      out.residence_periods.push([id, null, null, null, isoDate(on), null, mv.pick(MOVES.destinations), 'TRANSFER_OUT']);
      this.stats.movers++;
      return { household, relation: m.relation, from: dob, to: on - 1 };
    }
    let fromCommune = plan.code;
    if (kind === 'BETWEEN') {
      const others = [...this.lastHousehold.keys()].filter((c) => c !== plan.code);
      if (others.length > 0) fromCommune = mv.pick(others);
    }
    const fromHousehold = this.lastHousehold.get(fromCommune);
    const on = this.moveDay(Math.max(MOVES.earliest, dob + 1), Math.min(MOVES.lastInDistrict, this.asOfDay - 1));
    if (fromHousehold === undefined || on === undefined) return undefined;
    out.residence_periods.push([id, fromHousehold, fromCommune, m.age >= 18 ? 'Con' : 'Cháu', isoDate(dob), isoDate(on - 1), null, 'REGISTRATION']);
    out.demo_move_reasons.push([id, 'MOVE']);
    this.stats.movers++;
    return { household, relation: m.relation, from: on, to: null };
  }

  private personCircumstances(plan: CommunePlan, m: Member, id: string, dob: number, death: number | null, out: Record<TableName, Row[]>): void {
    const r = this.rng;
    const asOfDay = this.asOfDay;
    const end = death ?? asOfDay;
    const span = (from: number, to: number) => (to <= from ? to : r.int(from, to));
    const EARLIEST_CERT = daysFromCivil(2013, 1, 1);

    // Disability certificates, ~2%: more common with age.
    if (r.chance(m.age < 16 ? 0.01 : m.age < 60 ? 0.019 : m.age < 80 ? 0.05 : 0.1)) {
      const level = r.weighted([
        ['MILD', 45],
        ['SEVERE', 38],
        ['PARTICULARLY_SEVERE', 17],
      ] as const);
      const issued = span(Math.max(EARLIEST_CERT, dob + 180), end);
      out.disability_certificates.push([r.uuid(), id, level, `${++this.disabilitySeq}/GXNKT-${plan.code}`, isoDate(issued), null]);
    }

    // Merit records, ~1.5% of people 55+ (more often Kinh veterans).
    if (m.age >= 55 && r.chance(m.ethnicity === ETHNICITY.KINH ? 0.022 : 0.008)) {
      let category: string =
        m.age >= 64
          ? r.weighted([
              ['WAR_INVALID', 30],
              ['RESISTANCE_PARTICIPANT', 30],
              ['AGENT_ORANGE', 15],
              ['MARTYR_RELATIVE', 22],
              ['HEROIC_MOTHER', 3],
            ] as const)
          : r.weighted([
              ['MARTYR_RELATIVE', 60],
              ['WAR_INVALID', 25],
              ['AGENT_ORANGE', 15],
            ] as const);
      if (category === 'HEROIC_MOTHER' && !(m.sex === 'FEMALE' && m.age >= 85)) category = 'MARTYR_RELATIVE';
      const injury = category === 'WAR_INVALID' ? 21 + Math.floor(80 * r.float() ** 2) : null;
      const recognized = span(Math.max(daysFromCivil(1985, 1, 1), dob + 18 * 365), Math.min(end, daysFromCivil(2024, 12, 31)));
      out.merit_records.push([r.uuid(), id, category, injury, `${++this.meritSeq}/QĐ-LĐTBXH`, isoDate(recognized), null]);
    }

    // Pensions: a share of people 60+, more in the town and among the Kinh.
    if (m.age >= 60 && r.chance(plan.pensionShare * (m.ethnicity === ETHNICITY.KINH ? 1.4 : 0.5))) {
      const kind = r.chance(0.85) ? 'RETIREMENT_PENSION' : 'SOCIAL_INSURANCE_MONTHLY';
      const amount = kind === 'RETIREMENT_PENSION' ? r.int(3200, 12000) * 1000 : r.int(1500, 3500) * 1000;
      const retiredAt = dob + (m.sex === 'FEMALE' ? 55 : 60) * 365 + r.int(0, 200);
      const starts = Math.min(Math.max(retiredAt, daysFromCivil(1995, 1, 1)), asOfDay - 30);
      out.pension_statuses.push([
        r.uuid(),
        id,
        kind,
        amount,
        isoDate(starts),
        death === null ? null : isoDate(Math.max(starts, death)),
        `${++this.pensionSeq}/QĐ-BHXH`,
      ]);
    }

    // Pregnancies, ~1.5% of women 18–40: most still expecting, some already delivered.
    if (m.sex === 'FEMALE' && death === null && m.age >= 18 && m.age <= 40 && r.chance(0.015)) {
      if (r.chance(0.75)) {
        const expected = asOfDay + r.int(7, 230);
        const reported = Math.min(asOfDay - r.int(1, 14), expected - 280 + r.int(42, 120));
        out.pregnancies.push([r.uuid(), id, isoDate(reported), isoDate(expected), null, null]);
      } else {
        const expected = asOfDay - r.int(5, 150);
        const ended = Math.min(asOfDay - 1, expected + r.int(-14, 10));
        const reported = expected - 280 + r.int(42, 120);
        out.pregnancies.push([r.uuid(), id, isoDate(reported), isoDate(expected), isoDate(ended), 'BIRTH']);
      }
    }
  }
}

function emptyBatch(): Record<TableName, Row[]> {
  return {
    households: [],
    persons: [],
    residence_periods: [],
    demo_move_reasons: [],
    poverty_assessments: [],
    disability_certificates: [],
    merit_records: [],
    pension_statuses: [],
    pregnancies: [],
  };
}

async function writeBatch(sink: Sink, batch: Record<TableName, Row[]>, stats: DemoStats): Promise<void> {
  for (const table of TABLE_ORDER) {
    await sink.write(table, batch[table]);
    stats.rows[table] += batch[table].length;
  }
}

async function generateInto(sink: Sink, people: number, seed: number, asOf: string): Promise<DemoStats> {
  const { plans, synthetic } = planCommunes(people);
  if (synthetic.length > 0) {
    const values = synthetic.map(
      (u) =>
        `(${literal(u.code)}, ${literal(u.name)}, ${literal(u.level)}, ${literal(u.kind)}, ${u.parentCode ? literal(u.parentCode) : 'NULL'}, '2004-01-01', false)`,
    );
    for (let at = 0; at < values.length; at += INSERT_ROWS_PER_STATEMENT) {
      await sink.exec(
        `INSERT INTO admin_units (code, name, level, kind, parent_code, valid_from, code_confirmed) VALUES ${values.slice(at, at + INSERT_ROWS_PER_STATEMENT).join(',')} ON CONFLICT (code) DO NOTHING`,
      );
    }
  }
  const gen = new Generator(seed, asOf);
  // Double buffering: while one batch is being written, the next is generated in slices that yield to
  // the event loop, so the COPY in flight keeps streaming and the server works while this process does.
  let inflight: Promise<void> | undefined;
  for (const plan of plans) {
    const state = { people: 0, households: 0 };
    while (state.people < plan.people) {
      const batch = emptyBatch();
      for (let made = 0; made < CHUNK_HOUSEHOLDS && state.people < plan.people; made += SLICE_HOUSEHOLDS) {
        gen.generate(plan, state, SLICE_HOUSEHOLDS, batch);
        if (inflight) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (inflight) await inflight;
      inflight = writeBatch(sink, batch, gen.stats);
      // Marks the promise handled while we generate; the await above or below still rethrows its error.
      inflight.catch(() => undefined);
    }
  }
  if (inflight) await inflight;
  // The trigger's period of a mover is the latest: opened by the move or split, not by registration (MOVES).
  await sink.exec(`UPDATE residence_periods rp SET reason = m.reason FROM demo_move_reasons m WHERE rp.person_id = m.person_id AND rp.valid_to IS NULL`);
  return gen.stats;
}

/** From this many people on, a real server loads without foreign keys and secondary indexes and restores them afterwards. */
const REBUILD_INDEXES_FROM = 200_000;

/**
 * Runs `load` with the tables' foreign keys and secondary indexes (all but primary keys and indexes
 * behind constraints; unique indexes included: recreating one checks uniqueness over the whole table)
 * dropped, then puts them back from their own definitions as read from the catalogue, so they return
 * exactly as the migrations made them. Checking a foreign key once for the whole table (one
 * anti-join) and building an index once, sorted, are several times cheaper than doing both row by row: the
 * per-row foreign-key triggers and the trigram GIN index on names were most of the load time. Everything
 * happens inside the caller's transaction: if anything fails, all of it rolls back, constraints included,
 * and re-adding a foreign key validates every row, so nothing unchecked can be committed.
 */
async function withConstraintsDeferredToEnd<T>(client: pg.PoolClient, tables: readonly string[], load: () => Promise<T>): Promise<T> {
  const { rows: indexes } = await client.query<{ name: string; def: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i
       JOIN pg_class t ON t.oid = i.indrelid
       JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE t.relname = ANY($1::text[]) AND n.nspname = current_schema()
        AND NOT i.indisprimary
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`,
    [tables],
  );
  const { rows: foreignKeys } = await client.query<{ tbl: string; name: string; def: string }>(
    `SELECT k.conrelid::regclass::text AS tbl, quote_ident(k.conname) AS name, pg_get_constraintdef(k.oid) AS def
       FROM pg_constraint k
       JOIN pg_class t ON t.oid = k.conrelid
      WHERE k.contype = 'f' AND t.relname = ANY($1::text[]) AND t.relnamespace = current_schema()::regnamespace`,
    [tables],
  );
  // The entitlement-input triggers (migration 0017) join each statement's rows to residence_periods by person;
  // without its indexes that join scanned the whole, growing table for every COPY batch, and a 1M seed that took
  // about a minute ran for over 25 minutes. They are switched off for the load and, instead of marking each
  // person and household, the load marks everyone once (entitlement_input_changes' nil key): every cycle planned
  // before it is then unsettled for everybody, which is what a new population needs anyway.
  const { rows: inputTriggers } = await client.query<{ tbl: string; name: string }>(
    `SELECT g.tgrelid::regclass::text AS tbl, quote_ident(g.tgname) AS name
       FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
      WHERE NOT g.tgisinternal AND g.tgname LIKE '%\\_inputs\\_%' AND t.relname = ANY($1::text[])
        AND t.relnamespace = current_schema()::regnamespace`,
    [tables],
  );
  for (const g of inputTriggers) await client.query(`ALTER TABLE ${g.tbl} DISABLE TRIGGER ${g.name}`);
  for (const k of foreignKeys) await client.query(`ALTER TABLE ${k.tbl} DROP CONSTRAINT ${k.name}`);
  for (const i of indexes) await client.query(`DROP INDEX ${i.name}`);
  const result = await load();
  await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
  for (const i of indexes) await client.query(i.def);
  for (const k of foreignKeys) await client.query(`ALTER TABLE ${k.tbl} ADD CONSTRAINT ${k.name} ${k.def}`);
  for (const g of inputTriggers) await client.query(`ALTER TABLE ${g.tbl} ENABLE TRIGGER ${g.name}`);
  if (inputTriggers.length > 0) {
    await client.query(
      `INSERT INTO entitlement_input_changes (id, changed_xid) VALUES ('${EVERYONE}', pg_current_xact_id())
       ON CONFLICT (id) DO UPDATE SET changed_xid = greatest(entitlement_input_changes.changed_xid, excluded.changed_xid)`,
    );
  }
  return result;
}

/** Seeds the demo population once (seed_runs 'demo'); needs the reference data (seedReferenceData) first. */
export async function seedDemoPopulation(database: Database, opts: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const people = Math.max(0, Math.floor(opts.people));
  const seed = opts.seed ?? DEFAULT_SEED;
  const asOf = opts.asOf ?? DEFAULT_AS_OF;
  parseDate(asOf);
  const details = JSON.stringify({ people, seed, asOf });

  const run = async (sink: Sink, rebuildOn?: pg.PoolClient): Promise<DemoStats | undefined> => {
    // Claiming the row first serialises concurrent seeders; a second run finds it and stops.
    const claimed = await sink.exec(
      `INSERT INTO seed_runs (name, details) VALUES ('demo', ${literal(details)}::jsonb) ON CONFLICT (name) DO NOTHING RETURNING name`,
    );
    if (claimed.rows.length === 0) return undefined;
    await sink.exec(`CREATE TEMPORARY TABLE demo_move_reasons (person_id uuid PRIMARY KEY, reason text NOT NULL) ON COMMIT DROP`);
    const stats = rebuildOn
      ? await withConstraintsDeferredToEnd(rebuildOn, SCHEMA_TABLES, () => generateInto(sink, people, seed, asOf))
      : await generateInto(sink, people, seed, asOf);
    await sink.exec(
      `UPDATE seed_runs SET details = ${literal(JSON.stringify({ people, seed, asOf, households: stats.households, rows: stats.rows }))}::jsonb WHERE name = 'demo'`,
    );
    return stats;
  };

  let stats: DemoStats | undefined;
  if (database.pool) {
    const client = await database.pool.connect();
    try {
      await client.query('BEGIN');
      // One transaction: the seed is all or nothing. Nothing waits on this commit being flushed.
      await client.query('SET LOCAL synchronous_commit = off');
      stats = await run(new CopySink(client), people >= (opts.bulkLoadFrom ?? REBUILD_INDEXES_FROM) ? client : undefined);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  } else {
    stats = await database.db.transaction((tx) => run(new InsertSink(tx)));
  }
  if (stats) {
    // Fresh statistics, so the first queries on the new data get sensible plans.
    await database.db.execute(
      sql.raw(
        'ANALYZE admin_units, households, persons, residence_periods, poverty_assessments, disability_certificates, merit_records, pension_statuses, pregnancies',
      ),
    );
  }
  // Enrolments consistent with the rules, with a share left behind (seeds/enrolments.ts; idempotent on its own).
  await seedDemoEnrolments(database, asOf);
  const ms = Math.round(performance.now() - started);
  if (!stats) return { people: 0, households: 0, ms, skipped: true };
  const rows = Object.fromEntries(Object.entries(stats.rows).filter(([table]) => table !== 'demo_move_reasons'));
  return { people: stats.people, households: stats.households, movers: stats.movers, splits: stats.splits, ms, rows };
}
