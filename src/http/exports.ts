/**
 * Exports that officers open in a spreadsheet (docs/integration.md#exports): the beneficiaries of a commune, a
 * household's members and the coverage gaps, as CSV or XLSX, streamed page by page (src/http/table-stream.ts).
 * Each is the GraphQL answer of the same name as a file: the same service call with the same checks (commune
 * scope as of the date, the benefits:read scope for gaps), the same rows in the same order, identification
 * numbers masked by the access policy for the caller's role. Authenticated like /graphql (app.ts' onRequest
 * hook, principalOf).
 *
 * - `GET /exports/beneficiaries.csv|.xlsx?communeCode=…[&group=…][&programCode=…][&search=…][&asOf=…]`
 * - `GET /exports/household-members.csv|.xlsx?id=…|code=…[&asOf=…]`
 * - `GET /exports/coverage-gaps.csv|.xlsx[?communeCode=…][&programCode=…][&asOf=…]`
 *
 * Every one takes `lang=vi|en` (column headers; else Accept-Language, else Vietnamese). Dates in the query are
 * yyyy-mm-dd or dd/mm/yyyy; in the file, dd/mm/yyyy.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BENEFICIARY_GROUPS, type BeneficiaryGroup } from '../core/code-lists.js';
import { codeVi } from '../core/labels-vi.js';
import { MAX_YEAR, MIN_YEAR, parseDate } from '../core/bounds.js';
import { DomainError, notFound, Problems } from '../errors.js';
import { HIV_PROGRAMS, maskNationalIdFor, sightOf, type FieldGroup } from '../modules/auth/access-policy.js';
import { ReadLedger } from '../modules/auth/read-ledger.js';
import type { Principal } from '../modules/auth/auth.types.js';
import { MAX_GAP_PAGE } from '../modules/benefits/benefits.service.js';
import type { FileLang } from '../modules/payments/exchange-files.js';
import type { PersonRecord } from '../modules/registry/registry.service.js';
import type { Services } from '../services.js';
import { documentedOnly, ERROR_RESPONSES, fileResponse, LANG_PARAMETER } from './openapi.js';
import { principalOf } from './principal.js';
import { headerLang, sendTable, type Column, type TableFormat } from './table-stream.js';

/** People read per database page of a beneficiary export: one page is all an export holds in memory. */
export const EXPORT_PAGE_SIZE = 1000;

const GROUP_VI: Record<BeneficiaryGroup, string> = {
  MERIT: 'người có công',
  POOR_HOUSEHOLD: 'hộ nghèo',
  NEAR_POOR_HOUSEHOLD: 'hộ cận nghèo',
  ELDERLY: 'người cao tuổi',
  DISABILITY: 'người khuyết tật',
  CHILD_UNDER_36_MONTHS: 'trẻ em dưới 36 tháng tuổi',
  PREGNANT_WOMAN: 'phụ nữ mang thai',
};

/** A person of an export, as the caller may see them (identification number masked per role). */
interface PersonLine {
  id: string;
  nationalId: string | null;
  fullName: string;
  dateOfBirth: string;
  sex: string;
  ethnicity: string | null;
  communeCode: string;
  householdCode: string | null;
  relationToHead: string | null;
  dateOfDeath: string | null;
  groups: readonly BeneficiaryGroup[];
}

interface GapLine {
  person: PersonLine;
  programCode: string;
  programName: string;
  programNameEn: string;
  monthlyAmount: number | null;
  unconfirmed: boolean;
}

const sexText = (lang: FileLang, sex: string) => (lang === 'vi' ? codeVi(sex) : sex);

function personColumns(lang: FileLang): Column<PersonLine>[] {
  return [
    { vi: 'Mã người', en: 'Person id', width: 38, value: (p) => p.id },
    { vi: 'Số định danh cá nhân', en: 'National id', width: 16, value: (p) => p.nationalId },
    { vi: 'Họ và tên', en: 'Full name', width: 28, value: (p) => p.fullName },
    { vi: 'Ngày sinh', en: 'Date of birth', width: 12, date: true, value: (p) => p.dateOfBirth },
    { vi: 'Giới tính', en: 'Sex', width: 8, value: (p) => sexText(lang, p.sex) },
    { vi: 'Dân tộc', en: 'Ethnicity', width: 12, value: (p) => p.ethnicity },
    { vi: 'Mã xã', en: 'Commune code', width: 10, value: (p) => p.communeCode },
    { vi: 'Mã hộ', en: 'Household code', width: 20, value: (p) => p.householdCode },
    { vi: 'Quan hệ với chủ hộ', en: 'Relation to head', width: 16, value: (p) => p.relationToHead },
    { vi: 'Ngày mất', en: 'Date of death', width: 12, date: true, value: (p) => p.dateOfDeath },
    {
      vi: 'Nhóm đối tượng',
      en: 'Beneficiary groups',
      width: 30,
      value: (p) => p.groups.map((g) => (lang === 'vi' ? GROUP_VI[g] : g)).join('; '),
    },
  ];
}

function gapColumns(lang: FileLang): Column<GapLine>[] {
  // The person's columns but the ethnicity, relation, death and groups (a gap is about a program, on asOf).
  const person = personColumns(lang)
    .filter((_, i) => [0, 1, 2, 3, 4, 6, 7].includes(i))
    .map((c): Column<GapLine> => ({ ...c, value: (g) => c.value(g.person) }));
  return [
    ...person,
    { vi: 'Mã chế độ', en: 'Program', width: 14, value: (g) => g.programCode },
    { vi: 'Chế độ', en: 'Program name', width: 40, value: (g) => (lang === 'vi' ? g.programName : g.programNameEn) },
    { vi: 'Mức hằng tháng (đồng)', en: 'Monthly amount (VND)', width: 16, value: (g) => g.monthlyAmount },
    { vi: 'Chưa xác nhận', en: 'Unconfirmed', width: 10, value: (g) => (g.unconfirmed ? (lang === 'vi' ? 'có' : 'yes') : lang === 'vi' ? 'không' : 'no') },
  ];
}

export type Query = Record<string, unknown>;

/** A text parameter: absent, or a single string (a repeated parameter is refused). */
export function text(p: Problems, q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') {
    p.add(name, 'give it once', 'chỉ truyền một lần');
    return undefined;
  }
  return v;
}

/** A date parameter, as yyyy-mm-dd or dd/mm/yyyy (as officers write it); yyyy-mm-dd out. */
function dateParam(p: Problems, q: Query, name: string): string | undefined {
  const v = text(p, q, name);
  if (v === undefined) return undefined;
  const dmy = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(v);
  const iso = dmy ? `${dmy[3]}-${dmy[2]}-${dmy[1]}` : v;
  // The Date scalar's rule (years 1900–2100), with dd/mm/yyyy accepted too.
  if (!parseDate(iso))
    p.add(
      name,
      `must be a date, yyyy-mm-dd or dd/mm/yyyy, in the years ${MIN_YEAR}–${MAX_YEAR}`,
      `phải là ngày dạng yyyy-mm-dd hoặc dd/mm/yyyy, năm từ ${MIN_YEAR} đến ${MAX_YEAR}`,
    );
  return iso;
}

/** A file name part: letters, digits, dots and dashes only (a household code is typed by people). */
export const namePart = (s: string) => s.replace(/[^A-Za-z0-9.-]+/g, '_');

export function registerExports(app: FastifyInstance, services: Services): void {
  const { registry, benefits, clock } = services;

  /**
   * People of one page as the caller may see them, with their household codes and groups on asOf: ethnicity and the
   * beneficiary groups (health and disability circumstances) only where the caller's sight of those field groups is
   * full, as GraphQL answers them (access-policy.ts sightOf). What the page shows of those sensitive groups is written
   * to the access log, one event per page (the request's own event, written when the answer starts, precedes the
   * pages of a streamed file).
   */
  async function personLines(principal: Principal, requestId: string, people: readonly PersonRecord[], asOf: string): Promise<PersonLine[]> {
    const ids = people.map((x) => x.id);
    const seesEthnicity = sightOf(principal, 'ethnicity') === 'full';
    const seesGroups = sightOf(principal, 'health') === 'full';
    const [households, groups] = await Promise.all([
      registry.householdsByIds(people.map((x) => x.householdId).filter((id): id is string => id !== null)),
      seesGroups ? registry.groupsOf(ids, asOf) : Promise.resolve(new Map<string, BeneficiaryGroup[]>()),
    ]);
    const shown: FieldGroup[] = [...(seesEthnicity ? (['ethnicity'] as const) : []), ...(seesGroups ? (['health'] as const) : [])];
    await logReads(principal, requestId, ids, shown);
    const codes = new Map(households.map((h) => [h.id, h.code]));
    return people.map((x) => ({
      id: x.id,
      nationalId: maskNationalIdFor(principal, x.nationalId),
      fullName: x.fullName,
      dateOfBirth: x.dateOfBirth,
      sex: x.sex,
      ethnicity: seesEthnicity ? x.ethnicity : null,
      communeCode: x.communeCode,
      householdCode: x.householdId ? (codes.get(x.householdId) ?? null) : null,
      relationToHead: x.relationToHead,
      dateOfDeath: x.dateOfDeath,
      groups: groups.get(x.id) ?? [],
    }));
  }

  /** Appends an access event for the sensitive field groups an export page shows of these people. */
  async function logReads(principal: Principal, requestId: string, personIds: readonly string[], groups: readonly FieldGroup[]) {
    const ledger = new ReadLedger();
    ledger.operation = 'export';
    for (const id of personIds) ledger.note('person', id, groups);
    await services.accessLog.record(principal, requestId, ledger);
  }

  const lang = (request: FastifyRequest, p: Problems) => headerLang(request.query as Query, request.headers['accept-language'], p);

  for (const format of ['csv', 'xlsx'] as const satisfies readonly TableFormat[]) {
    const file = fileResponse(
      format === 'csv' ? 'The file, UTF-8 CSV with a byte order mark, streamed.' : 'The file, one sheet, streamed.',
      format === 'csv' ? 'text/csv' : 'xlsx',
    );

    app.get(
      `/exports/beneficiaries.${format}`,
      documentedOnly({
        tags: ['exports'],
        summary: `Beneficiaries of a commune as ${format.toUpperCase()}`,
        description:
          'The whole list GraphQL `beneficiaries` pages through, with the same arguments, checks and order (person id); ' +
          'identification numbers masked per role. FORBIDDEN for a commune outside the token (as GraphQL).',
        querystring: {
          type: 'object',
          required: ['communeCode'],
          properties: {
            communeCode: { type: 'string', description: 'Code of the commune, e.g. 24865.' },
            group: { type: 'string', enum: [...BENEFICIARY_GROUPS], description: 'One beneficiary group (all when absent).' },
            programCode: { type: 'string', description: 'Enrolled in this program and active on asOf.' },
            search: { type: 'string', description: 'Part of the full name, accent- and case-insensitive.' },
            asOf: { type: 'string', description: 'yyyy-mm-dd or dd/mm/yyyy; default today.' },
            lang: LANG_PARAMETER,
          },
        },
        response: { 200: file, ...ERROR_RESPONSES },
      }),
      async (request, reply) => {
        const q = request.query as Query;
        const p = new Problems();
        const communeCode = text(p, q, 'communeCode');
        if (communeCode === undefined) p.add('communeCode', 'is required', 'là bắt buộc');
        const group = text(p, q, 'group');
        if (group !== undefined && !(BENEFICIARY_GROUPS as readonly string[]).includes(group))
          p.add('group', `must be one of ${BENEFICIARY_GROUPS.join(', ')}`, `phải là một trong ${BENEFICIARY_GROUPS.join(', ')}`);
        const args = { programCode: text(p, q, 'programCode'), search: text(p, q, 'search'), asOf: dateParam(p, q, 'asOf') };
        const headers = lang(request, p);
        p.throwIfAny();
        const principal = principalOf(request);
        const { asOf, pages } = registry.beneficiaryPages(
          principal,
          { ...args, communeCode: communeCode ?? '', group: (group as BeneficiaryGroup | undefined) ?? null },
          EXPORT_PAGE_SIZE,
        );
        async function* lines() {
          for await (const page of pages) yield await personLines(principal, request.id, page, asOf);
        }
        return sendTable(request, reply, {
          format,
          lang: headers,
          fileName: `nguoi-huong-${namePart(communeCode ?? '')}-${asOf}`,
          sheet: { vi: 'Người hưởng', en: 'Beneficiaries' },
          columns: personColumns(headers),
          pages: lines(),
        });
      },
    );

    app.get(
      `/exports/household-members.${format}`,
      documentedOnly({
        tags: ['exports'],
        summary: `Members of a household as ${format.toUpperCase()}`,
        description:
          'Who lived in the household on asOf, oldest first: GraphQL `household(id|code) { members(asOf) }`. NOT_FOUND ' +
          'for an unknown household and for one outside the token (GraphQL answers null for both).',
        querystring: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid', description: 'Id of the household (give id or code).' },
            code: { type: 'string', description: 'Code of the household.' },
            asOf: { type: 'string', description: 'yyyy-mm-dd or dd/mm/yyyy; default today.' },
            lang: LANG_PARAMETER,
          },
        },
        response: { 200: file, 404: { description: 'NOT_FOUND', content: ERROR_RESPONSES[400].content }, ...ERROR_RESPONSES },
      }),
      async (request, reply) => {
        const q = request.query as Query;
        const p = new Problems();
        const id = text(p, q, 'id');
        const code = text(p, q, 'code');
        const asOf = dateParam(p, q, 'asOf') ?? clock.today();
        const headers = lang(request, p);
        p.throwIfAny();
        const principal = principalOf(request);
        async function* lines() {
          const household = await registry.household(principal, { id, code });
          if (!household) throw notFound('household', id ?? code ?? '');
          const members = (await registry.visibleMembersOf(principal, [household.id], asOf)).get(household.id) ?? [];
          yield await personLines(principal, request.id, members, asOf);
        }
        return sendTable(request, reply, {
          format,
          lang: headers,
          fileName: `thanh-vien-ho-${namePart(code ?? id ?? '')}-${asOf}`,
          sheet: { vi: 'Thành viên hộ', en: 'Household members' },
          columns: personColumns(headers),
          pages: lines(),
        });
      },
    );

    app.get(
      `/exports/coverage-gaps.${format}`,
      documentedOnly({
        tags: ['exports'],
        summary: `Coverage gaps as ${format.toUpperCase()}`,
        description:
          'People eligible on asOf but not enrolled: every page of GraphQL `coverageGaps`, in its order (person, program). ' +
          'Without communeCode, every commune the token covers. Integration clients need the benefits:read scope (FORBIDDEN).',
        querystring: {
          type: 'object',
          properties: {
            communeCode: { type: 'string', description: 'Code of the commune (all the token covers when absent).' },
            programCode: { type: 'string', description: 'One program (all when absent).' },
            asOf: { type: 'string', description: 'yyyy-mm-dd or dd/mm/yyyy; default today.' },
            lang: LANG_PARAMETER,
          },
        },
        response: { 200: file, ...ERROR_RESPONSES },
      }),
      async (request, reply) => {
        const q = request.query as Query;
        const p = new Problems();
        const communeCode = text(p, q, 'communeCode');
        const programCode = text(p, q, 'programCode');
        const asOf = dateParam(p, q, 'asOf') ?? clock.today();
        const headers = lang(request, p);
        p.throwIfAny();
        const principal = principalOf(request);
        // One rule book for every page (the service reads it once per scope).
        const scope = {};
        async function* lines() {
          let after: string | undefined;
          for (;;) {
            const page = await benefits.coverageGaps(principal, { communeCode, programCode, asOf, first: MAX_GAP_PAGE, after }, scope);
            // Each gap's person as they lived on asOf, as GraphQL's CoverageGap.person reads them.
            const people = new Map(
              (
                await registry.visiblePersonsOn(
                  principal,
                  page.nodes.map((g) => g.personId),
                  asOf,
                )
              ).map((x) => [x.id, x]),
            );
            const persons = new Map((await personLines(principal, request.id, [...people.values()], asOf)).map((x) => [x.id, x]));
            // A gap in an HIV program (Decree 20 art. 5.3, 5.8) says the person has HIV: only for callers who see the
            // hiv field group, as GraphQL's coverageGaps answers (graphql/field-policy.ts). Gaps are health data.
            const seesHiv = sightOf(principal, 'hiv') === 'full';
            const shown = page.nodes.filter((g) => seesHiv || !HIV_PROGRAMS.has(g.programCode));
            await logReads(
              principal,
              request.id,
              shown.map((g) => g.personId),
              shown.some((g) => HIV_PROGRAMS.has(g.programCode)) ? ['health', 'hiv'] : ['health'],
            );
            yield shown.map((g): GapLine => {
              const person = persons.get(g.personId);
              // The gaps are found among the people of the caller's communes on asOf: a miss is a broken
              // invariant, answered as GraphQL's CoverageGap.person answers it (and, mid-file, a broken download).
              if (!person)
                throw new DomainError('INTERNAL', {
                  en: 'a person of a coverage gap cannot be read',
                  vi: 'không đọc được người của danh sách chưa được hưởng',
                });
              return {
                person,
                programCode: g.programCode,
                programName: g.decision.program.nameVi,
                programNameEn: g.decision.program.nameEn,
                monthlyAmount: g.decision.program.kind === 'MONTHLY' ? g.decision.amount : null,
                unconfirmed: g.unconfirmedReasons.length > 0,
              };
            });
            if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return;
            after = page.pageInfo.endCursor;
          }
        }
        return sendTable(request, reply, {
          format,
          lang: headers,
          fileName: `chua-duoc-huong-${namePart(communeCode ?? 'tat-ca')}-${asOf}`,
          sheet: { vi: 'Chưa được hưởng', en: 'Coverage gaps' },
          columns: gapColumns(headers),
          pages: lines(),
        });
      },
    );
  }
}
