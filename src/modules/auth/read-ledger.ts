/**
 * What one request read and what it withheld (issue 11). The GraphQL layer and the compiled reads note each
 * sensitive field group they answer for a person or household; the app writes the whole request's reads once,
 * when the response is sent (src/app.ts, AccessLogService.record), as one access_events row.
 * Withheld fields are reported in the response's `extensions.withheld`.
 */
import { SENSITIVE_GROUPS, type FieldGroup } from './access-policy.js';

export type SubjectKind = 'person' | 'household';

/** A field the caller may not see: where in the response, which group, and why. */
export interface WithheldNote {
  path: (string | number)[];
  fieldGroup: FieldGroup;
  reason: string;
}

/** The access event to write: the groups read and whose. */
export interface ReadSet {
  fieldGroups: FieldGroup[];
  personIds: string[];
  householdIds: string[];
}

export class ReadLedger {
  /** Root fields of the operation, for the log's `operation`. */
  operation = '';
  readonly withheld: WithheldNote[] = [];
  private readonly bySubject = new Map<string, Set<FieldGroup>>();

  /** Notes a read of these groups of one person or household; groups that are not sensitive are not logged. */
  note(kind: SubjectKind, id: string, groups: Iterable<FieldGroup>): void {
    const key = `${kind}:${id}`;
    for (const g of groups) {
      if (!SENSITIVE_GROUPS.has(g)) continue;
      let set = this.bySubject.get(key);
      if (!set) this.bySubject.set(key, (set = new Set()));
      set.add(g);
    }
  }

  withhold(note: WithheldNote): void {
    this.withheld.push(note);
  }

  get empty(): boolean {
    return this.bySubject.size === 0;
  }

  /**
   * The request's one access event: every group read and everyone read. A person is listed when at least one
   * of the groups was read of them (the page of a list reads the same groups of everyone, as a rule).
   */
  readSet(): ReadSet {
    const fieldGroups = new Set<FieldGroup>();
    const set: ReadSet = { fieldGroups: [], personIds: [], householdIds: [] };
    for (const [key, groups] of this.bySubject) {
      for (const g of groups) fieldGroups.add(g);
      const [kind, id] = key.split(':') as [SubjectKind, string];
      (kind === 'person' ? set.personIds : set.householdIds).push(id);
    }
    set.fieldGroups = [...fieldGroups].sort();
    return set;
  }
}
