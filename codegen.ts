/**
 * graphql-codegen: resolver and loader types from the SDL (schema/*.graphql) into src/graphql/generated.ts.
 * `npm run codegen` writes it; `npm run codegen:check` (part of `npm run lint`) fails when it is stale.
 *
 * Mappers name the object each resolver really receives as its parent (a database row, a service result),
 * not the GraphQL shape. Paths are relative to src/graphql/generated.ts; update them when files move.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const REGISTRY_SERVICE = '../modules/registry/registry.service.js';
const RESIDENCE_SERVICE = '../modules/registry/residence.service.js';
const PLACES_SERVICE = '../modules/places/places.service.js';
const RULE_BOOK = '../modules/rules/rule-book.js';

const AUDIT_SERVICE = '../modules/audit/audit.service.js';
const ACCESS_LOG = '../modules/audit/access-log.service.js';
const BENEFITS_SERVICE = '../modules/benefits/benefits.service.js';
const PAYMENTS_SERVICE = '../modules/payments/payments.service.js';
const FINDINGS_SERVICE = '../modules/payments/findings.service.js';
const DCI_SERVICE = '../modules/dci/dci.service.js';
// Parents that resolver maps build around a service result (src/graphql/parents.ts).
const PARENTS = './parents.js';

const config: CodegenConfig = {
  schema: 'schema/*.graphql',
  overwrite: true,
  // No banner with a date: the file must be byte-identical when nothing changed (codegen:check).
  silent: true,
  generates: {
    'src/graphql/generated.ts': {
      plugins: ['typescript', 'typescript-resolvers', './codegen/mercurius-loaders.cjs'],
      config: {
        useTypeImports: true,
        // The context Mercurius passes to every resolver (RequestContext merged in by src/graphql/context.ts).
        contextType: 'mercurius#MercuriusContext',
        enumsAsTypes: true,
        strictScalars: true,
        scalars: {
          // src/graphql/scalars.ts: Date and Period travel as strings; serialize also accepts a Date object.
          Date: { input: 'string', output: 'string | Date' },
          Period: { input: 'string', output: 'string | Date' },
          Vnd: { input: 'number', output: 'number' },
          // parseValue builds a Date; serialize accepts a Date or an ISO string.
          DateTime: { input: 'Date', output: 'Date | string' },
          JSON: { input: 'unknown', output: 'unknown' },
        },
        maybeValue: 'T | null',
        inputMaybeValue: 'T | null | undefined',
        mappers: {
          Person: `${REGISTRY_SERVICE}#PersonRecord`,
          Household: `${REGISTRY_SERVICE}#HouseholdRow`,
          BirthYearConvention: `${REGISTRY_SERVICE}#BirthYearConventionRow`,
          PovertyAssessment: `${REGISTRY_SERVICE}#PovertyAssessmentRow`,
          ResidencePeriod: `${RESIDENCE_SERVICE}#ResidencePeriodRow`,
          // The page carries its filter so that totalCount can count it when asked.
          BeneficiaryConnection: `${REGISTRY_SERVICE}#BeneficiaryPage`,
          DisabilityCertificate: `${REGISTRY_SERVICE}#DisabilityCertificateRow`,
          MeritRecord: `${REGISTRY_SERVICE}#MeritRecordRow`,
          PensionStatus: `${REGISTRY_SERVICE}#PensionStatusRow`,
          Pregnancy: `${REGISTRY_SERVICE}#PregnancyRow`,
          AuditEvent: `${AUDIT_SERVICE}#AuditEventRow`,
          AccessEvent: `${ACCESS_LOG}#AccessEventRow`,
          AdminUnit: `${PLACES_SERVICE}#AdminUnitRow`,
          DciPartner: `${DCI_SERVICE}#DciPartnerRow`,
          AreaClassification: `${PLACES_SERVICE}#AreaClassificationRow`,
          Program: `${RULE_BOOK}#ProgramRow`,
          // A version from the rule book or one just published.
          RuleVersion: `${PARENTS}#RuleVersionParent`,
          BaseLevel: `${RULE_BOOK}#BaseLevelRow`,
          TimingRule: `${RULE_BOOK}#TimingRuleRow`,
          EnrolmentSuspension: `${BENEFITS_SERVICE}#SuspensionRow`,
          // An enrolment row; reached through an entitlement month, with the day its person is read as of.
          Enrolment: `${BENEFITS_SERVICE}#EnrolmentParent`,
          EntitlementLine: `${BENEFITS_SERVICE}#EntitlementLine as EntitlementLineParent`,
          EntitlementMonth: `${BENEFITS_SERVICE}#EntitlementMonth as EntitlementMonthParent`,
          // What coverageGaps gives (the connection's counts are read when asked).
          CoverageGap: `${PARENTS}#GapNode`,
          CoverageGapConnection: `${PARENTS}#GapConnection`,
          PensionConversion: `${BENEFITS_SERVICE}#PensionConversionRow`,
          ProvincialScheme: `${RULE_BOOK}#ProvincialSchemeParent`,
          PaymentRecipient: `${PAYMENTS_SERVICE}#PaymentRecipientRow`,
          PaymentCycle: `${PAYMENTS_SERVICE}#PaymentCycleRow`,
          Payment: `${PAYMENTS_SERVICE}#PaymentRow`,
          AuditFinding: `${FINDINGS_SERVICE}#Finding`,
          AuditFindingReview: `${FINDINGS_SERVICE}#ReviewRow`,
        },
      },
    },
  },
};

export default config;
