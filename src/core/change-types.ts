/**
 * The kinds of registry change the service publishes (docs/integration.md#change-events): what the DCI Social
 * Registry's `notify` callbacks and the `changes` pull feed carry. Kept apart from the audit actions that produce
 * them (modules/changes/outbox.service.ts maps one to the other), so a renamed mutation does not rename an event.
 */
export const CHANGE_TYPES = [
  'PERSON_REGISTERED',
  'HOUSEHOLD_REGISTERED',
  'DEATH_RECORDED',
  'DEATH_CORRECTED',
  'RESIDENCE_CHANGED',
  'HOUSEHOLD_CHANGED',
  'POVERTY_CLASSIFICATION_CHANGED',
  'ENROLMENT_CHANGED',
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/** Change types whose payload reveals benefits (a program code can name HIV or disability): see access-policy.ts. */
export const BENEFIT_CHANGE_TYPES: ReadonlySet<ChangeType> = new Set(['ENROLMENT_CHANGED']);
