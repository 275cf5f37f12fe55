/**
 * GraphQL for the registry. Nested lists go through Mercurius loaders, which batch every parent of a
 * response level into one SQL statement: a page of 50 people with household, members and circumstances
 * costs the same number of statements as a page of 1.
 */
import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import { checkId, isUuid, Problems } from '../../errors.js';
import { isValidDate } from '../../graphql/scalars.js';
import type { AuditActor } from '../audit/audit.service.js';
import { assertCommuneAccess, communeFilter } from '../auth/auth.service.js';
import type { BeneficiaryGroup } from './beneficiary-groups.js';
import { maskNationalId } from './national-id.js';
import { personIncludeOf } from './registry.prefetch.js';
import * as repo from './registry.repository.js';
import type { HouseholdRow, PersonRecord, PovertyAssessmentRow } from './registry.repository.js';
import type { CircumstanceKind } from './registry.service.js';

export const MAX_PAGE_SIZE = 200;

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });

/** Roles that see identification numbers in full; integration clients need the `person:national_id` scope. */
function seesFullNationalId(ctx: MercuriusContext): boolean {
  const p = ctx.principal;
  return p.role !== 'integration' || p.scopes.has('person:national_id');
}

const encodeCursor = (id: string) => Buffer.from(`p:${id}`).toString('base64url');
function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith('p:') ? text.slice(2) : '';
  if (!isUuid(id)) new Problems().add('after', 'is not a cursor this API returned', 'không phải con trỏ trang do API trả về').throwIfAny();
  return id;
}

/** Filters out people a commune officer may not see (nested lists never leak another commune). */
function visible<T extends { communeCode: string }>(ctx: MercuriusContext, rows: T[]): T[] {
  const communes = communeFilter(ctx.principal);
  return communes ? rows.filter((r) => communes.includes(r.communeCode)) : rows;
}

function groupBy<T, K>(rows: T[], key: (r: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

export const registryResolvers: IResolvers = {
  Query: {
    async person(_: unknown, { id }: { id: string }, ctx) {
      checkId('id', id);
      const [person] = await repo.findPersonsByIds(ctx.services.database.db, [id]);
      if (!person) return null;
      assertCommuneAccess(ctx.principal, person.communeCode);
      return person;
    },
    async personByNationalId(_: unknown, { nationalId }: { nationalId: string }, ctx, info) {
      if (!/^\d{12}$/.test(nationalId)) new Problems().add('nationalId', 'must be exactly 12 digits', 'phải gồm đúng 12 chữ số').throwIfAny();
      const person = await repo.findPersonByNationalId(ctx.services.database.db, nationalId, personIncludeOf(info, []));
      if (!person) return null;
      assertCommuneAccess(ctx.principal, person.communeCode);
      return person;
    },
    async household(_: unknown, args: { id?: string; code?: string }, ctx) {
      const db = ctx.services.database.db;
      if (!args.id === !args.code) new Problems().add('id', 'give exactly one of id or code', 'cần đúng một trong id hoặc code').throwIfAny();
      if (args.id) checkId('id', args.id);
      const household = args.id ? (await repo.findHouseholdsByIds(db, [args.id]))[0] : await repo.findHouseholdByCode(db, args.code!);
      if (!household) return null;
      assertCommuneAccess(ctx.principal, household.communeCode);
      return household;
    },
    async beneficiaries(
      _: unknown,
      args: { communeCode: string; group?: BeneficiaryGroup | null; programCode?: string | null; search?: string | null; asOf?: string | null; first?: number | null; after?: string | null },
      ctx,
      info,
    ) {
      const p = new Problems();
      ctx.services.places.checkCommune(p, 'communeCode', args.communeCode);
      const first = args.first ?? 50;
      if (first < 1 || first > MAX_PAGE_SIZE) p.add('first', `must be 1–${MAX_PAGE_SIZE}`, `phải từ 1 đến ${MAX_PAGE_SIZE}`);
      const search = args.search?.trim() || undefined;
      if (search && search.length > 100) p.add('search', 'must be at most 100 characters', 'tối đa 100 ký tự');
      p.throwIfAny();
      assertCommuneAccess(ctx.principal, args.communeCode);
      const afterId = args.after ? decodeCursor(args.after) : undefined;
      const filter = { communeCode: args.communeCode, group: args.group ?? undefined, programCode: args.programCode ?? undefined, search, asOf: args.asOf ?? ctx.services.clock.today() };
      const db = ctx.services.database.db;
      const rows = await repo.findBeneficiaryPage(db, filter, afterId, first + 1, personIncludeOf(info, ['nodes'], ['edges', 'node']));
      const page = rows.slice(0, first);
      return {
        filter,
        nodes: page,
        edges: page.map((node) => ({ cursor: encodeCursor(node.id), node })),
        pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(page[page.length - 1].id) : null },
      };
    },
  },
  BeneficiaryConnection: {
    // Counted only when asked for: the count reads every matching row, the page only `first` of them.
    totalCount: (conn: { filter: repo.BeneficiaryFilter }, _: unknown, ctx) =>
      repo.countBeneficiaries(ctx.services.database.db, conn.filter),
  },
  Person: {
    nationalId: (p: PersonRecord, _: unknown, ctx) =>
      p.nationalId == null ? null : seesFullNationalId(ctx) ? p.nationalId : maskNationalId(p.nationalId),
    commune: (p: PersonRecord, _: unknown, ctx) => ctx.services.places.get(p.communeCode),
  },
  Household: {
    village: (h: HouseholdRow, _: unknown, ctx) => (h.villageCode ? ctx.services.places.get(h.villageCode) : null),
  },
  Mutation: {
    registerHousehold: (_: unknown, { input }: { input: Parameters<import('./registry.service.js').RegistryService['registerHousehold']>[1] }, ctx) =>
      ctx.services.registry.registerHousehold(actorOf(ctx), input),
    registerPerson: (_: unknown, { input }: { input: Parameters<import('./registry.service.js').RegistryService['registerPerson']>[1] }, ctx) => {
      if (input.householdId) checkId('input.householdId', input.householdId);
      return ctx.services.registry.registerPerson(actorOf(ctx), input);
    },
    updatePerson: (_: unknown, { id, input }: { id: string; input: Parameters<import('./registry.service.js').RegistryService['updatePerson']>[2] }, ctx) => {
      checkId('id', id);
      if (input.householdId) checkId('input.householdId', input.householdId);
      return ctx.services.registry.updatePerson(actorOf(ctx), id, input);
    },
    recordDeath: (_: unknown, { personId, dateOfDeath }: { personId: string; dateOfDeath: string }, ctx) => {
      checkId('personId', personId);
      return ctx.services.registry.recordDeath(actorOf(ctx), personId, dateOfDeath);
    },
    recordPovertyAssessment: (_: unknown, { input }: { input: Parameters<import('./registry.service.js').RegistryService['recordPovertyAssessment']>[1] }, ctx) => {
      checkId('input.householdId', input.householdId);
      return ctx.services.registry.recordPovertyAssessment(actorOf(ctx), input);
    },
    recordDisability: (_: unknown, { input }: { input: Parameters<import('./registry.service.js').RegistryService['recordDisability']>[1] }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.registry.recordDisability(actorOf(ctx), input);
    },
    recordMeritStatus: (_: unknown, { input }: { input: Parameters<import('./registry.service.js').RegistryService['recordMeritStatus']>[1] }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.registry.recordMeritStatus(actorOf(ctx), input);
    },
    recordPensionStatus: (_: unknown, { input }: { input: Parameters<import('./registry.service.js').RegistryService['recordPensionStatus']>[1] }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.registry.recordPensionStatus(actorOf(ctx), input);
    },
    recordPregnancy: (_: unknown, { input }: { input: Parameters<import('./registry.service.js').RegistryService['recordPregnancy']>[1] }, ctx) => {
      checkId('input.personId', input.personId);
      return ctx.services.registry.recordPregnancy(actorOf(ctx), input);
    },
    correctDeath: (_: unknown, { personId, dateOfDeath, reason }: { personId: string; dateOfDeath?: string | null; reason: string }, ctx) => {
      checkId('personId', personId);
      return ctx.services.registry.correctDeath(actorOf(ctx), personId, dateOfDeath ?? null, reason);
    },
    withdrawCircumstance: (_: unknown, { kind, id, reason }: { kind: CircumstanceKind; id: string; reason: string }, ctx) =>
      ctx.services.registry.withdrawCircumstance(actorOf(ctx), kind, id, reason),
  },
};

type Q<T, P = Record<string, never>> = { obj: T; params: P };

/** Builds a loader for a per-person circumstance list. */
const circumstanceLoader =
  (kind: repo.PersonCircumstance) =>
  async (queries: Q<PersonRecord>[], ctx: MercuriusContext) => {
    const rows = await repo.findCircumstances(ctx.services.database.db, kind, queries.map((q) => q.obj.id));
    const byPerson = groupBy(rows as { personId: string }[], (r) => r.personId);
    return queries.map((q) => byPerson.get(q.obj.id) ?? []);
  };

export const registryLoaders: MercuriusLoaders = {
  Person: {
    async household(queries: Q<PersonRecord>[], ctx) {
      const ids = [...new Set(queries.map((q) => q.obj.householdId).filter((id): id is string => !!id))];
      const byId = new Map((await repo.findHouseholdsByIds(ctx.services.database.db, ids)).map((h) => [h.id, h]));
      return queries.map((q) => (q.obj.householdId ? (byId.get(q.obj.householdId) ?? null) : null));
    },
    disabilityCertificates: circumstanceLoader('disabilityCertificates'),
    meritRecords: circumstanceLoader('meritRecords'),
    pensionStatuses: circumstanceLoader('pensionStatuses'),
    pregnancies: circumstanceLoader('pregnancies'),
    async groups(queries: Q<PersonRecord, { asOf?: string | null }>[], ctx) {
      const today = ctx.services.clock.today();
      const byDate = groupBy(queries, (q) => q.params.asOf ?? today);
      const results = new Map<Q<PersonRecord, { asOf?: string | null }>, BeneficiaryGroup[]>();
      for (const [asOf, qs] of byDate) {
        if (!isValidDate(asOf)) new Problems().add('asOf', 'is not a valid date', 'không phải ngày hợp lệ').throwIfAny();
        const groups = await repo.findGroupsOfPersons(ctx.services.database.db, [...new Set(qs.map((q) => q.obj.id))], asOf);
        for (const q of qs) results.set(q, groups.get(q.obj.id) ?? []);
      }
      return queries.map((q) => results.get(q) ?? []);
    },
  },
  Household: {
    async members(queries: Q<HouseholdRow>[], ctx) {
      const rows = await repo.findMembersOfHouseholds(ctx.services.database.db, queries.map((q) => q.obj.id));
      const byHousehold = groupBy(visible(ctx, rows), (r) => r.householdId);
      return queries.map((q) => byHousehold.get(q.obj.id) ?? []);
    },
    async head(queries: Q<HouseholdRow>[], ctx) {
      const ids = [...new Set(queries.map((q) => q.obj.headPersonId).filter((id): id is string => !!id))];
      const byId = new Map(visible(ctx, await repo.findPersonsByIds(ctx.services.database.db, ids)).map((p) => [p.id, p]));
      return queries.map((q) => (q.obj.headPersonId ? (byId.get(q.obj.headPersonId) ?? null) : null));
    },
    async povertyAssessments(queries: Q<HouseholdRow>[], ctx) {
      const rows = await repo.findAssessmentsOfHouseholds(ctx.services.database.db, queries.map((q) => q.obj.id));
      const byHousehold = groupBy(rows, (r) => r.householdId);
      return queries.map((q) => byHousehold.get(q.obj.id) ?? []);
    },
    async povertyAssessment(queries: Q<HouseholdRow, { asOf?: string | null }>[], ctx) {
      const today = ctx.services.clock.today();
      const [rows, standards] = await Promise.all([
        repo.findAssessmentsOfHouseholds(ctx.services.database.db, queries.map((q) => q.obj.id)),
        ctx.services.povertyStandards(),
      ]);
      const validTo = new Map(standards.map((s) => [s.code, s.validTo]));
      const byHousehold = groupBy(rows, (r) => r.householdId);
      // Same rule as the POOR_HOUSEHOLD group: the latest assessment on or before the date under a standard still in force.
      return queries.map((q) => {
        const asOf = q.params.asOf ?? today;
        const inForce = (byHousehold.get(q.obj.id) ?? []).filter(
          (a: PovertyAssessmentRow) => a.assessedOn <= asOf && (validTo.get(a.standardCode) ?? '') >= asOf,
        );
        return inForce[inForce.length - 1] ?? null;
      });
    },
  },
};
