/**
 * The two questions of the benchmark, asked three ways: An Sinh's GraphQL, PostGraphile v4's GraphQL, and
 * the hand-written SQL of the raw endpoint (bench/raw-sql.ts). run.ts checks that all three answer alike.
 */
import { ELDERLY_AGE } from '../src/core/code-lists.js';

export const PAGE_SIZE = 50;

/** base64url('p:' || id) without padding: An Sinh's cursor, computed in SQL. */
const cursorOf = (col: string) => `rtrim(translate(encode(convert_to('p:' || ${col}::text, 'UTF8'), 'base64'), '+/', '-_'), '=')`;

/**
 * Page 1 of the elderly living in commune $1 on date $2, in id order, with household (and its poverty
 * assessments) and personal circumstances. Same conditions as An Sinh's ELDERLY group (livingOn + age).
 */
export const PAGE_SQL = `
WITH page AS (
  SELECT p.id, p.national_id, p.full_name, p.date_of_birth, p.sex, p.household_id
  FROM persons p
  WHERE p.commune_code = $1
    AND p.date_of_birth <= $2::date AND (p.date_of_death IS NULL OR p.date_of_death > $2::date)
    AND p.date_of_birth <= ($2::date - make_interval(years => ${ELDERLY_AGE}))::date
  ORDER BY p.id
  LIMIT ${PAGE_SIZE + 1}
), shown AS (
  SELECT * FROM page ORDER BY id LIMIT ${PAGE_SIZE}
)
SELECT json_build_object('data', json_build_object('beneficiaries', json_build_object(
  'pageInfo', json_build_object(
    'hasNextPage', (SELECT count(*) FROM page) > ${PAGE_SIZE},
    'endCursor', (SELECT ${cursorOf('id')} FROM shown ORDER BY id DESC LIMIT 1)),
  'nodes', COALESCE((SELECT json_agg(json_build_object(
      'id', s.id, 'nationalId', s.national_id, 'fullName', s.full_name, 'dateOfBirth', s.date_of_birth, 'sex', s.sex,
      'household', (SELECT json_build_object('id', h.id, 'code', h.code, 'address', h.address,
          'povertyAssessments', COALESCE((SELECT json_agg(json_build_object(
              'assessedOn', pa.assessed_on, 'standardCode', pa.standard_code, 'classification', pa.classification,
              'incomePerPerson', pa.income_per_person, 'deprivations', pa.deprivations) ORDER BY pa.assessed_on, pa.created_at)
            FROM poverty_assessments pa WHERE pa.household_id = h.id), '[]'))
        FROM households h WHERE h.id = s.household_id),
      'disabilityCertificates', COALESCE((SELECT json_agg(json_build_object(
          'level', d.level, 'certificateNo', d.certificate_no, 'issuedOn', d.issued_on, 'validTo', d.valid_to) ORDER BY d.issued_on)
        FROM disability_certificates d WHERE d.person_id = s.id), '[]'),
      'meritRecords', COALESCE((SELECT json_agg(json_build_object(
          'category', m.category, 'injuryRate', m.injury_rate, 'decisionNo', m.decision_no, 'recognizedOn', m.recognized_on) ORDER BY m.recognized_on)
        FROM merit_records m WHERE m.person_id = s.id), '[]'),
      'pensionStatuses', COALESCE((SELECT json_agg(json_build_object(
          'kind', ps.kind, 'monthlyAmount', ps.monthly_amount, 'startsOn', ps.starts_on, 'endsOn', ps.ends_on) ORDER BY ps.starts_on)
        FROM pension_statuses ps WHERE ps.person_id = s.id), '[]')
    ) ORDER BY s.id) FROM shown s), '[]')
)))::text AS body`;

/** One person by identification number, with the household and its members (oldest first). */
export const PERSON_SQL = `
SELECT json_build_object('data', json_build_object('personByNationalId', (
  SELECT json_build_object(
    'id', p.id, 'nationalId', p.national_id, 'fullName', p.full_name, 'dateOfBirth', p.date_of_birth, 'sex', p.sex,
    'communeCode', p.commune_code,
    'household', (SELECT json_build_object('id', h.id, 'code', h.code, 'address', h.address,
        'members', COALESCE((SELECT json_agg(json_build_object(
            'id', m.id, 'nationalId', m.national_id, 'fullName', m.full_name, 'dateOfBirth', m.date_of_birth,
            'sex', m.sex, 'relationToHead', m.relation_to_head) ORDER BY m.date_of_birth, m.id)
          FROM persons m WHERE m.household_id = h.id), '[]'))
      FROM households h WHERE h.id = p.household_id))
  FROM persons p WHERE p.national_id = $1)))::text AS body`;

/** An Sinh: the commune page, through the `beneficiaries` connection (group ELDERLY). */
export const ANSINH_PAGE = `query ElderlyPage($communeCode: String!, $asOf: Date!) {
  beneficiaries(communeCode: $communeCode, group: ELDERLY, asOf: $asOf, first: ${PAGE_SIZE}) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id nationalId fullName dateOfBirth sex
      household { id code address povertyAssessments { assessedOn standardCode classification incomePerPerson deprivations } }
      disabilityCertificates { level certificateNo issuedOn validTo }
      meritRecords { category injuryRate decisionNo recognizedOn }
      pensionStatuses { kind monthlyAmount startsOn endsOn }
    }
  }
}`;

/** An Sinh: one person by identification number, with the household members. */
export const ANSINH_PERSON = `query PersonByNationalId($nationalId: String!) {
  personByNationalId(nationalId: $nationalId) {
    id nationalId fullName dateOfBirth sex communeCode
    household { id code address members { id nationalId fullName dateOfBirth sex relationToHead } }
  }
}`;

/**
 * PostGraphile: the same page. The root is a connection (as An Sinh's: pageInfo with hasNextPage, so both
 * read 51 rows); nested relations are simple lists (`...List`), as An Sinh's are. Aliases give An Sinh's
 * field names, so responses compare after little normalisation.
 */
export const POSTGRAPHILE_PAGE = `query ElderlyPage($communeCode: String!, $asOf: Date!) {
  beneficiaries: elderlyInCommune(communeCode: $communeCode, asOf: $asOf, first: ${PAGE_SIZE}, orderBy: [ID_ASC]) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id nationalId fullName dateOfBirth sex
      household: householdByHouseholdId {
        id code address
        povertyAssessments: povertyAssessmentsByHouseholdIdList(orderBy: [ASSESSED_ON_ASC, CREATED_AT_ASC]) {
          assessedOn standardCode classification incomePerPerson deprivations
        }
      }
      disabilityCertificates: disabilityCertificatesByPersonIdList(orderBy: [ISSUED_ON_ASC]) { level certificateNo issuedOn validTo }
      meritRecords: meritRecordsByPersonIdList(orderBy: [RECOGNIZED_ON_ASC]) { category injuryRate decisionNo recognizedOn }
      pensionStatuses: pensionStatusesByPersonIdList(orderBy: [STARTS_ON_ASC]) { kind monthlyAmount startsOn endsOn }
    }
  }
}`;

/**
 * PostGraphile: the person. v4 derives `personByX` look-ups from unique constraints only, and
 * persons.national_id has a unique index, so the look-up is the list with an equality condition.
 */
export const POSTGRAPHILE_PERSON = `query PersonByNationalId($nationalId: String!) {
  personByNationalId: allPeopleList(condition: { nationalId: $nationalId }) {
    id nationalId fullName dateOfBirth sex communeCode
    household: householdByHouseholdId {
      id code address
      members: peopleByHouseholdIdList(orderBy: [DATE_OF_BIRTH_ASC, ID_ASC]) { id nationalId fullName dateOfBirth sex relationToHead }
    }
  }
}`;

/** The custom query PostGraphile serves the page through (inlined by PostgreSQL: LANGUAGE sql, STABLE). */
export const POSTGRAPHILE_SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS bench_pg;
CREATE OR REPLACE FUNCTION bench_pg.elderly_in_commune(commune_code text, as_of date)
RETURNS SETOF public.persons LANGUAGE sql STABLE AS $$
  SELECT p.* FROM public.persons p
  WHERE p.commune_code = $1
    AND p.date_of_birth <= $2 AND (p.date_of_death IS NULL OR p.date_of_death > $2)
    AND p.date_of_birth <= ($2 - make_interval(years => ${ELDERLY_AGE}))::date
$$;
COMMENT ON FUNCTION bench_pg.elderly_in_commune(text, date) IS E'@sortable\nBenchmark only: the elderly living in a commune on a date.';
`;
