/**
 * The beneficiary groups of the registry, as SQL conditions over a person row aliased `p`, evaluated
 * as of a date. One definition serves the commune lists (set-wise, indexed) and the per-person `groups`
 * field, so the two can never disagree. Shared SQL vocabulary over the schema: the registry's and the
 * benefits' repositories and the rule compiler (rule-sql.ts) build on it, so it lives beside the schema.
 */
import { sql, type SQL } from 'drizzle-orm';
import { BENEFICIARY_GROUPS, ELDERLY_AGE, type BeneficiaryGroup } from '../core/code-lists.js';

/**
 * The household's poverty classification in force on `asOf`: its latest assessment made on or before that
 * date under a standard that is still in force then.
 */
export const householdClassificationAsOf = (asOf: string): SQL => sql`(
  SELECT pa.classification FROM poverty_assessments pa
  JOIN poverty_standards ps ON ps.code = pa.standard_code
  WHERE pa.household_id = p.household_id AND pa.assessed_on <= ${asOf}::date AND ps.valid_to >= ${asOf}::date
  ORDER BY pa.assessed_on DESC, pa.created_at DESC LIMIT 1)`;

/** Alive on `asOf`: born by then and not died before it (the day of death counts, as in core/facts.ts isAlive). */
export const livingOn = (asOf: string): SQL => sql`p.date_of_birth <= ${asOf}::date AND (p.date_of_death IS NULL OR p.date_of_death >= ${asOf}::date)`;

export function groupCondition(group: BeneficiaryGroup, asOf: string): SQL {
  switch (group) {
    case 'ELDERLY':
      return sql`p.date_of_birth <= (${asOf}::date - make_interval(years => ${ELDERLY_AGE}))::date`;
    case 'CHILD_UNDER_36_MONTHS':
      return sql`p.date_of_birth > (${asOf}::date - interval '36 months')::date`;
    case 'DISABILITY':
      return sql`EXISTS (SELECT 1 FROM disability_certificates dc WHERE dc.person_id = p.id
        AND dc.issued_on <= ${asOf}::date AND (dc.valid_to IS NULL OR dc.valid_to >= ${asOf}::date))`;
    case 'MERIT':
      return sql`EXISTS (SELECT 1 FROM merit_records mr WHERE mr.person_id = p.id
        AND mr.recognized_on <= ${asOf}::date AND (mr.valid_to IS NULL OR mr.valid_to >= ${asOf}::date))`;
    case 'POOR_HOUSEHOLD':
      return sql`${householdClassificationAsOf(asOf)} = 'POOR'`;
    case 'NEAR_POOR_HOUSEHOLD':
      return sql`${householdClassificationAsOf(asOf)} = 'NEAR_POOR'`;
    case 'PREGNANT_WOMAN':
      // Pregnant from the report until the pregnancy ends; if no end is recorded, until 30 days after the
      // expected delivery date, so an unrecorded birth does not keep someone in the group forever.
      return sql`p.sex = 'FEMALE' AND EXISTS (SELECT 1 FROM pregnancies pr WHERE pr.person_id = p.id
        AND pr.reported_on <= ${asOf}::date
        AND ${asOf}::date < COALESCE(pr.ended_on, pr.expected_delivery_on + 30))`;
  }
}

/** In any group: the two household groups share one look-up of the assessment in force. */
export function anyGroupCondition(asOf: string): SQL {
  const personal = BENEFICIARY_GROUPS.filter((g) => g !== 'POOR_HOUSEHOLD' && g !== 'NEAR_POOR_HOUSEHOLD');
  return sql.join([...personal.map((g) => sql`(${groupCondition(g, asOf)})`), sql`(${householdClassificationAsOf(asOf)} IN ('POOR', 'NEAR_POOR'))`], sql` OR `);
}

/** Enrolled in a program and active (approved, its months covering asOf): the `beneficiaries(programCode)` filter. */
export const enrolledOn = (programCode: string, asOf: string): SQL => sql`EXISTS (SELECT 1 FROM enrolments e
  WHERE e.person_id = p.id AND e.program_code = ${programCode} AND e.status IN ('ACTIVE', 'ENDED') AND e.approved_at IS NOT NULL
    AND e.start_month <= date_trunc('month', ${asOf}::date)::date
    AND (e.end_month IS NULL OR e.end_month >= date_trunc('month', ${asOf}::date)::date))`;
