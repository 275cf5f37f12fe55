/**
 * Parents of GraphQL types that are not a service's row as it stands: what a resolver map builds or adds
 * around a service result. codegen.ts maps the types to these. They live here rather than in the resolvers
 * that use them because generated.ts imports them and the resolvers import generated.ts (no import cycle).
 */
import type { GapFilter } from '../modules/benefits/benefits.service.js';
import type { ProgramDecision, RuleBook, RuleVersionRow, UnconfirmedReason } from '../modules/rules/rules.service.js';

/** CoverageGapConnection: the gap counts are read once, when asked (coverageGaps brings them with the page). */
export interface GapConnection {
  filter: GapFilter;
  book: RuleBook;
  counts?: Promise<{ programCode: string; count: number }[]>;
}

/** CoverageGap: one person's gap for one program, with the program's decision. */
export interface GapNode {
  personId: string;
  /** The date the gap was found on: its person is read as they lived that day. */
  asOf: string;
  programCode: string;
  decision: ProgramDecision;
  reasons: unknown[];
  /** The unconfirmed rule version and base level the gap's eligibility and amount rest on. */
  unconfirmedReasons: UnconfirmedReason[];
}

/**
 * RuleVersion: a version from the rule book (parsed, with its withdrawal) or the row publishRuleVersion has
 * just written (neither).
 */
export type RuleVersionParent = Omit<RuleVersionRow, 'parsed' | 'withdrawal'> & Partial<Pick<RuleVersionRow, 'withdrawal'>>;
