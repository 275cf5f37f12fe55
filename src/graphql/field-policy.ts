/**
 * The access policy's field groups applied to the GraphQL answer (issue 11; the decisions are the tables of
 * src/modules/auth/access-policy.ts, this file only applies them):
 * - each enforced field of a person-bearing type (PERSON_FIELDS) is wrapped: a group the caller may not see
 *   answers null or an empty list and adds a note to `extensions.withheld`; items of a list in such a group (an
 *   HIV flag) are left out, and the note is given whenever the field is asked, whatever the person's records,
 *   so that it never tells whether there was something to withhold;
 * - every sensitive group answered is noted in the request's ReadLedger, written once as the request's access
 *   event (src/app.ts).
 * The compiled reads (src/graphql/compiled/hook.ts) use `selectedGroups` and `notePlanReads` for the same.
 */
import type { GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import { HIV_PROGRAMS, PERSON_FIELDS, sightOf, withheldReason, type FieldEntry, type FieldGroup } from '../modules/auth/access-policy.js';
import type { Principal } from '../modules/auth/auth.types.js';
import type { ReadLedger, SubjectKind } from '../modules/auth/read-ledger.js';
import { graphql } from './compiled/graphql-runtime.js';
import type { FieldPlan } from './compiled/plan.js';

// Mercurius' copy of graphql, whose types the schema is built from (graphql-runtime.ts).
const { defaultFieldResolver, getNullableType, isListType, Kind } = graphql;

const SUBJECTS: Record<string, SubjectKind> = { Person: 'person', Household: 'household' };

/** The response path of a field, as in GraphQL errors. */
export function pathOf(info: GraphQLResolveInfo): (string | number)[] {
  const out: (string | number)[] = [];
  for (let p: GraphQLResolveInfo['path'] | undefined = info.path; p; p = p.prev) out.unshift(p.key);
  return out;
}

/** The root fields of the operation, for the access log. */
function operationOf(info: GraphQLResolveInfo): string {
  return info.operation.selectionSet.selections
    .map((s) => (s.kind === Kind.FIELD ? s.name.value : ''))
    .filter(Boolean)
    .join(',');
}

/** Wraps the enforced fields' resolvers (call once, after Mercurius has built the schema, before the first query). */
export function enforceFieldPolicy(schema: GraphQLSchema): void {
  for (const [key, entry] of Object.entries<FieldEntry>(PERSON_FIELDS)) {
    const group = entry.group;
    if (!entry.enforced || !group) continue;
    const [typeName, fieldName] = key.split('.') as [string, string];
    const subject = SUBJECTS[typeName];
    const field = (schema.getType(typeName) as GraphQLObjectType | undefined)?.getFields()[fieldName];
    if (!field || !subject) throw new Error(`access policy names ${key}, which the schema lacks`);
    const resolve = field.resolve ?? defaultFieldResolver;
    const empty = isListType(getNullableType(field.type)) ? [] : null;
    field.resolve = async (obj: { id: string }, args, ctx: MercuriusContext, info) => {
      const { principal, reads } = ctx;
      if (!reads.operation) reads.operation = operationOf(info);
      if (sightOf(principal, group) === 'withheld') {
        reads.withhold({ path: pathOf(info), fieldGroup: group, reason: withheldReason(principal, group) });
        return empty;
      }
      let value: unknown = await resolve(obj, args, ctx, info);
      const read = new Set<FieldGroup>([group]);
      if (entry.items && Array.isArray(value)) {
        const { groupOf, groups } = entry.items;
        for (const g of groups) {
          if (sightOf(principal, g) === 'withheld') reads.withhold({ path: pathOf(info), fieldGroup: g, reason: withheldReason(principal, g) });
        }
        value = (value as Record<string, unknown>[]).filter((item) => {
          const g = groupOf(item);
          if (sightOf(principal, g) === 'withheld') return false;
          read.add(g);
          return true;
        });
      }
      if (value !== null && !(Array.isArray(value) && value.length === 0)) reads.note(subject, obj.id, read);
      return value;
    };
  }
}

/** Response key of an id the compiled path adds to log a read whose document did not ask for the id (then removed). */
export const HIDDEN_ID = '__anSinhReadId';

const selectsEnforced = (plan: FieldPlan) => plan.children.some((c) => PERSON_FIELDS[`${c.parentType.name}.${c.fieldName}`]?.enforced);
const idChild = (plan: FieldPlan) => plan.children.find((c) => c.fieldName === 'id');

/**
 * The groups a compiled plan selects (enforced fields only), and the plan to compile: where an object selects
 * one without its id, the id is added under HIDDEN_ID, so the read can be logged (`hidden`: the answer must
 * then lose it, `withoutHiddenIds`).
 */
export function selectedGroups(root: FieldPlan): { groups: Set<FieldGroup>; plan: FieldPlan; hidden: boolean } {
  const groups = new Set<FieldGroup>();
  let hidden = false;
  const walk = (plan: FieldPlan): FieldPlan => {
    const children = plan.children.map(walk);
    for (const child of plan.children) {
      const entry = PERSON_FIELDS[`${child.parentType.name}.${child.fieldName}`];
      if (entry?.enforced && entry.group) {
        groups.add(entry.group);
        for (const g of entry.items?.groups ?? []) groups.add(g);
      }
    }
    const first = plan.children[0];
    if (first && selectsEnforced(plan) && !idChild(plan)) {
      hidden = true;
      children.push({ ...first, responseName: HIDDEN_ID, fieldName: 'id', field: first.parentType.getFields().id, arguments: [], children: [] });
    }
    return { ...plan, children };
  };
  const plan = walk(root);
  return { groups, plan, hidden };
}

/** The compiled answer without the ids added for the log. */
export function withoutHiddenIds(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(withoutHiddenIds);
  if (data === null || typeof data !== 'object') return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (k !== HIDDEN_ID) out[k] = withoutHiddenIds(v);
  return out;
}

/** Whether the caller sees every group of a compiled plan in full (else the executor answers, with its notes). */
export function seesAll(principal: Principal, groups: Iterable<FieldGroup>): boolean {
  for (const g of groups) if (g !== 'identity' && sightOf(principal, g) !== 'full') return false;
  return true;
}

/** Notes the reads of a compiled answer: walks the plan over the response data. */
export function notePlanReads(root: FieldPlan, data: unknown, reads: ReadLedger): void {
  reads.operation ||= root.fieldName;
  const visit = (plan: FieldPlan, value: unknown) => {
    if (Array.isArray(value)) {
      for (const v of value) visit(plan, v);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const row = value as Record<string, unknown>;
    const read: FieldGroup[] = [];
    let typeName: string | undefined;
    for (const child of plan.children) {
      typeName = child.parentType.name;
      const entry = PERSON_FIELDS[`${typeName}.${child.fieldName}`];
      const v = row[child.responseName];
      if (entry?.enforced && entry.group && v !== null && !(Array.isArray(v) && v.length === 0)) read.push(entry.group);
      visit(child, v);
    }
    const subject = typeName && SUBJECTS[typeName];
    const id = row[idChild(plan)?.responseName ?? HIDDEN_ID];
    if (subject && read.length > 0 && typeof id === 'string') reads.note(subject, id, read);
  };
  visit(root, data);
}

/**
 * HIV status by program (access-policy.ts HIV_PROGRAMS): an enrolment, entitlement line, payment, finding,
 * coverage gap or eligibility of Decree 20 art. 5.3 or 5.8 says that the person has HIV as plainly as the flag.
 * For a caller who does not see `hiv`, every field whose items have a `programCode` (outside reference data)
 * leaves those items out, a single one answers null, and conditions that mention HIV (an eligibility's
 * `flags includes HIV`) are left out of condition lists; each such field is noted as withheld whenever it is
 * asked, as above. Non-null single results (a mutation's own record) are the writer's and stay.
 */
export function enforceHivPrograms(schema: GraphQLSchema, referenceTypes: ReadonlySet<string>): void {
  const carriesProgram = (t: GraphQLObjectType) => !referenceTypes.has(t.name) && 'programCode' in t.getFields();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!graphql.isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const target = graphql.getNamedType(field.type);
      if (!graphql.isObjectType(target) || PERSON_FIELDS[`${type.name}.${field.name}`]?.items) continue;
      const conditions = target.name === 'ConditionResult';
      if (!conditions && !carriesProgram(target)) continue;
      const nullable = getNullableType(field.type);
      const list = isListType(nullable);
      if (!list && graphql.isNonNullType(field.type)) continue;
      const programField = target.getFields().programCode;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = async (obj: unknown, args, ctx: MercuriusContext, info) => {
        const value: unknown = await resolve(obj, args, ctx, info);
        if (sightOf(ctx.principal, 'hiv') === 'full') return value;
        ctx.reads.withhold({ path: pathOf(info), fieldGroup: 'hiv', reason: withheldReason(ctx.principal, 'hiv') });
        const isHiv = async (item: unknown): Promise<boolean> => {
          if (item === null || typeof item !== 'object') return false;
          if (conditions) return JSON.stringify(item).includes('HIV');
          const code = programField?.resolve ? await programField.resolve(item, {}, ctx, info) : (item as { programCode?: unknown }).programCode;
          return typeof code === 'string' && HIV_PROGRAMS.has(code);
        };
        if (!list) return (await isHiv(value)) ? null : value;
        if (!Array.isArray(value)) return value;
        const items = value as unknown[];
        const keep = await Promise.all(items.map(async (item) => !(await isHiv(item))));
        return items.filter((_, i) => keep[i]);
      };
    }
  }
}
