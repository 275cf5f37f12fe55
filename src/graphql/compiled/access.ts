/**
 * What the compiled reads need to know of the caller's access policy, in one place so it can follow the
 * policy (src/modules/auth/access-policy.ts). The compiled statements apply it in SQL as the
 * resolvers apply it in TypeScript:
 * - `communes`: the communes whose people the caller sees (null: all), as `communesVisibleTo` — root rows of
 *   other communes are FORBIDDEN (the compiled path then leaves the request to the executor), nested
 *   members and heads of other communes are left out;
 * - `fullNationalId`: whether identification numbers come in full; otherwise they are masked as
 *   `maskNationalId` masks them (registry.resolvers.ts: integration clients need `person:national_id`).
 */
import { canSee, communesVisibleTo, principalOn, seesFullNationalId, seesHiv } from '../../modules/auth/access-policy.js';
import type { Principal } from '../../modules/auth/auth.types.js';

export interface ReadAccess {
  communes: string[] | null;
  fullNationalId: boolean;
  /** Whether the caller sees HIV status (lists of people enrolled in an HIV program are empty otherwise). */
  seesHiv: boolean;
  mayReadCommune(communeCode: string): boolean;
  /** The access as of a date (principalOn: a successor commune in the token reaches its predecessors from the merger on). */
  on(asOf: string, communesOn: (code: string, asOf: string) => readonly string[]): ReadAccess;
}

export function readAccessOf(principal: Principal): ReadAccess {
  const visible = communesVisibleTo(principal);
  return {
    communes: visible === null ? null : [...visible],
    fullNationalId: seesFullNationalId(principal),
    seesHiv: seesHiv(principal),
    mayReadCommune: (communeCode) => canSee(principal, communeCode),
    on: (asOf, communesOn) => {
      const dated = principalOn(principal, asOf, communesOn);
      return dated === principal ? readAccessOf(principal) : readAccessOf(dated);
    },
  };
}
