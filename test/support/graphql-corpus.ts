/**
 * The GraphQL operations on the registry's read roots (`person`, `personByNationalId`, `household`,
 * `beneficiaries`) that the test files and the benchmark send, collected for the compiled-reads
 * differential test (test/compiled-reads.test.ts). Each names where it comes from; `$` variables are filled
 * by the test from its own data. `compiled` says whether the compiled path must answer it (for a caller
 * who may see the data and valid arguments); the others use fields it leaves to the executor.
 */
import { ANSINH_PAGE, ANSINH_PERSON } from '../../bench/queries.js';

export interface CorpusOperation {
  source: string;
  query: string;
  /** The variables it is sent with, by kind of data they need (see the test). */
  uses: 'person' | 'nationalId' | 'household' | 'commune' | 'none';
  compiled: boolean;
}

const PREFETCH_PERSON_FIELDS = `
  fragment P on Person {
    id nationalId fullName dateOfBirth sex communeCode relationToHead dateOfDeath
    household {
      id code address communeCode
      povertyAssessments { assessedOn standardCode classification incomePerPerson deprivations area decisionNo }
      members { id fullName relationToHead communeCode disabilityCertificates { certificateNo } }
    }
    disabilityCertificates { level certificateNo issuedOn validTo }
    ... on Person { meritRecords { category injuryRate decisionNo recognizedOn validTo } }
    pensionStatuses { kind monthlyAmount startsOn endsOn decisionNo }
    pregnancies { reportedOn expectedDeliveryOn endedOn outcome }
  }`;

const BENEFICIARIES_PAGE = `query($c: String!, $g: BeneficiaryGroup, $s: String, $first: Int, $after: String, $asOf: Date) {
  beneficiaries(communeCode: $c, group: $g, search: $s, first: $first, after: $after, asOf: $asOf) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id fullName nationalId dateOfBirth communeCode
      groups(asOf: $asOf)
      household { code address povertyAssessment(asOf: $asOf) { classification standardCode }
        head { fullName } members { fullName relationToHead disabilityCertificates { level } } }
      disabilityCertificates { level issuedOn }
      meritRecords { category injuryRate }
      pensionStatuses { kind }
      pregnancies { expectedDeliveryOn }
    }
  }
}`;

export const CORPUS: CorpusOperation[] = [
  // test/prefetch.test.ts
  {
    source: 'prefetch PAGE',
    query: `query($c: String!, $asOf: Date) {
  beneficiaries(communeCode: $c, group: ELDERLY, asOf: $asOf, first: 50) { nodes { ...P } edges { node { id household { code } } } }
} ${PREFETCH_PERSON_FIELDS}`,
    uses: 'commune',
    compiled: true,
  },
  { source: 'prefetch BY_ID', query: `query($id: ID!) { person(id: $id) { ...P } } ${PREFETCH_PERSON_FIELDS}`, uses: 'person', compiled: true },
  {
    source: 'prefetch BY_NATIONAL_ID',
    query: `query($n: String!) { personByNationalId(nationalId: $n) { ...P } } ${PREFETCH_PERSON_FIELDS}`,
    uses: 'nationalId',
    compiled: true,
  },
  {
    source: 'prefetch one statement (page)',
    query: `query($c: String!, $asOf: Date) { beneficiaries(communeCode: $c, group: ELDERLY, asOf: $asOf, first: 50) {
        nodes { id household { code povertyAssessments { classification } members { fullName } } disabilityCertificates { level }
          meritRecords { category } pensionStatuses { kind } pregnancies { reportedOn } } } }`,
    uses: 'commune',
    compiled: true,
  },
  {
    source: 'prefetch one statement (person)',
    query: `query($n: String!) { personByNationalId(nationalId: $n) { id household { members { fullName } } } }`,
    uses: 'nationalId',
    compiled: true,
  },
  // test/beneficiaries.test.ts
  { source: 'beneficiaries PAGE', query: BENEFICIARIES_PAGE, uses: 'commune', compiled: false },
  {
    source: 'beneficiaries masking',
    query: `{ beneficiaries(communeCode: "$commune", group: ELDERLY, first: 1, asOf: "2026-06-01") { nodes { nationalId } } }`,
    uses: 'commune',
    compiled: true,
  },
  {
    source: 'beneficiaries first node',
    query: `{ beneficiaries(communeCode: "$commune", group: ELDERLY, first: 1, asOf: "2026-06-01") { nodes { id nationalId } } }`,
    uses: 'commune',
    compiled: true,
  },
  {
    source: 'beneficiaries members',
    query: `query($n: String!) { personByNationalId(nationalId: $n) { id household { members { relationToHead } } } }`,
    uses: 'nationalId',
    compiled: true,
  },
  { source: 'beneficiaries denied', query: `query($n: String!) { personByNationalId(nationalId: $n) { id } }`, uses: 'nationalId', compiled: true },
  // test/registry.test.ts
  {
    source: 'registry household',
    query: `{ household(id: "$household") { head { fullName } members { fullName relationToHead } } }`,
    uses: 'household',
    compiled: true,
  },
  { source: 'registry year 0000', query: `{ beneficiaries(communeCode: "$commune", asOf: "0000-06-01") { nodes { id } } }`, uses: 'commune', compiled: false },
  {
    source: 'registry groups',
    query: `{ person(id: "$person") { groups(asOf: "2025-01-01") disabilityCertificates { level } meritRecords { injuryRate } pensionStatuses { kind } } }`,
    uses: 'person',
    compiled: true,
  },
  { source: 'registry totalCount', query: `{ beneficiaries(communeCode: "$commune") { totalCount } }`, uses: 'commune', compiled: true },
  // test/logging.test.ts (sent there as GET)
  { source: 'logging GET', query: `{ personByNationalId(nationalId: "$nationalId") { id } }`, uses: 'nationalId', compiled: true },
  // test/entitlements.test.ts, test/rules.test.ts
  {
    source: 'entitlements enrolments',
    query: `{ person(id: "$person") { enrolments { id programCode status startPeriod endPeriod } } }`,
    uses: 'person',
    compiled: false,
  },
  { source: 'entitlements flags', query: `{ person(id: "$person") { id circumstanceFlags { flag } } }`, uses: 'person', compiled: false },
  {
    source: 'entitlements program list',
    query: `{ beneficiaries(communeCode: "$commune", programCode: "D20_5_5C", asOf: "2024-07-01", first: 200) { nodes { id } } }`,
    uses: 'commune',
    compiled: true,
  },
  {
    source: 'entitlements program count',
    query: `{ beneficiaries(communeCode: "$commune", programCode: "D20_5_5C", asOf: "2024-08-01", first: 200) { totalCount nodes { id } } }`,
    uses: 'commune',
    compiled: true,
  },
  // bench/queries.ts
  { source: 'bench page', query: ANSINH_PAGE, uses: 'commune', compiled: true },
  { source: 'bench person', query: ANSINH_PERSON, uses: 'nationalId', compiled: true },
];
