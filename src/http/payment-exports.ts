/**
 * Officers' exports of payments (docs/integration.md#exports): a cycle's lines and the audit findings, as CSV or XLSX,
 * streamed page by page through src/http/table-stream.ts like the registry exports of src/http/exports.ts —
 * Vietnamese headers and words (English on request), dates and months as officers write them, identification and
 * account numbers masked per role, an access event per page. Each file is the GraphQL answer of the same question:
 * the same service calls and checks, the same rows in the same order, and HIV-program lines and findings left out
 * for callers who do not see the hiv field group (as graphql/field-policy.ts enforceHivPrograms leaves them out).
 *
 * - `GET /exports/payment-cycle-lines.csv|.xlsx?cycleId=…[&kinds=A,B][&statuses=A,B]`: GraphQL
 *   `paymentCycle(id) { payments(kinds, statuses) }`, with each line's person, program and recipient;
 * - `GET /exports/audit-findings.csv|.xlsx?from=…&to=…[&communeCode=…][&kinds=A,B]`: every page of GraphQL
 *   `auditFindings`.
 *
 * These are not the bank and post-office exchange file (`/payments/cycles/:id/export.*`, src/http/payment-files.ts),
 * whose fixed layout the banks read; nor the older `/payments/audit-findings.csv`, kept for the clients that use it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FINDING_KINDS, PAYMENT_KINDS, PAYMENT_STATUSES } from '../core/code-lists.js';
import { isUuid, notFound, Problems } from '../errors.js';
import { HIV_PROGRAMS, maskAccountFor, maskNationalIdFor, sightOf, type FieldGroup } from '../modules/auth/access-policy.js';
import type { Principal } from '../modules/auth/auth.types.js';
import { ReadLedger } from '../modules/auth/read-ledger.js';
import type { FileLang } from '../modules/payments/exchange-files.js';
import type { Finding } from '../modules/payments/findings.service.js';
import type { CycleLineRow } from '../modules/payments/payments.repository.js';
import type { Services } from '../services.js';
import { EXPORT_PAGE_SIZE, namePart, text, type Query } from './exports.js';
import { documentedOnly, ERROR_RESPONSES, fileResponse, LANG_PARAMETER } from './openapi.js';
import { principalOf } from './principal.js';
import { headerLang, sendTable, type Column, type TableFormat } from './table-stream.js';

const KIND_VI: Record<string, string> = {
  REGULAR: 'thường kỳ',
  ARREARS: 'truy lĩnh',
  RECOVERY: 'thu hồi',
  BACK_PAY: 'truy trả từ trước tháng quyết định',
  CARRY_OVER: 'chi lại',
};
const METHOD_VI: Record<string, string> = {
  BANK: 'tài khoản ngân hàng',
  EWALLET: 'ví điện tử',
  POST_OFFICE: 'bưu điện',
  CASH: 'tiền mặt tại xã',
};
const STATUS_VI: Record<string, string> = { PENDING: 'chờ kết quả', PAID: 'đã chi', FAILED: 'chi không thành công', RETURNED: 'bị trả lại' };
const FINDING_VI: Record<string, string> = {
  PAID_AFTER_DEATH: 'chi sau khi mất',
  PAID_OUTSIDE_ENROLMENT: 'chi ngoài thời gian hưởng',
  AMOUNT_MISMATCH: 'số tiền chi khác mức hưởng',
  DUPLICATE_PAYMENT: 'chi trùng',
  DUPLICATE_IDENTITY: 'nghi trùng người',
  PAID_TO_MOVED_AWAY: 'chi cho người đã chuyển đi',
  ELIGIBLE_NOT_ENROLLED: 'đủ điều kiện nhưng chưa được hưởng',
  ENROLLED_NOT_PAID: 'đang hưởng nhưng chưa được chi',
};

const word = (lang: FileLang, vi: Record<string, string>, code: string) => (lang === 'vi' ? (vi[code] ?? code) : code);
const yesNo = (lang: FileLang, v: boolean) => (v ? (lang === 'vi' ? 'có' : 'yes') : lang === 'vi' ? 'không' : 'no');
/** A month (yyyy-mm or the first day yyyy-mm-dd) as officers write it: mm/yyyy. */
const officerMonth = (period: string) => `${period.slice(5, 7)}/${period.slice(0, 4)}`;
/** A moment as officers read it: dd/mm/yyyy hh:mm, Vietnam time (UTC+7, no daylight saving). */
export function officerDateTime(at: Date): string {
  const local = new Date(at.getTime() + 7 * 3_600_000).toISOString();
  return `${local.slice(8, 10)}/${local.slice(5, 7)}/${local.slice(0, 4)} ${local.slice(11, 16)}`;
}

/** A line of a cycle as the caller may see it (numbers masked per role). */
type LineRow = CycleLineRow;

function lineColumns(lang: FileLang, principal: Principal): Column<LineRow>[] {
  return [
    { vi: 'Mã khoản chi', en: 'Line id', width: 38, value: (l) => l.id },
    { vi: 'Mã người', en: 'Person id', width: 38, value: (l) => l.personId },
    { vi: 'Số định danh cá nhân', en: 'National id', width: 16, value: (l) => maskNationalIdFor(principal, l.nationalId) },
    { vi: 'Họ và tên', en: 'Full name', width: 28, value: (l) => l.fullName },
    { vi: 'Mã chế độ', en: 'Program', width: 14, value: (l) => l.programCode },
    { vi: 'Chế độ', en: 'Program name', width: 40, value: (l) => (lang === 'vi' ? l.programNameVi : l.programNameEn) },
    { vi: 'Tháng', en: 'Month', width: 9, value: (l) => officerMonth(l.period) },
    { vi: 'Loại khoản', en: 'Kind', width: 14, value: (l) => word(lang, KIND_VI, l.kind) },
    { vi: 'Số tiền (đồng)', en: 'Amount (VND)', width: 14, value: (l) => l.amount },
    { vi: 'Cần phê duyệt', en: 'Needs approval', width: 10, value: (l) => yesNo(lang, l.needsApproval) },
    { vi: 'Người nhận', en: 'Recipient', width: 28, value: (l) => l.recipientName },
    { vi: 'Hình thức chi', en: 'Method', width: 16, value: (l) => word(lang, METHOD_VI, l.method) },
    { vi: 'Số tài khoản', en: 'Account number', width: 20, value: (l) => maskAccountFor(principal, l.accountNo) },
    { vi: 'Nơi nhận tiền', en: 'Provider', width: 20, value: (l) => l.provider },
    { vi: 'Chi lại khoản', en: 'Carried from', width: 38, value: (l) => l.carriedFrom },
    { vi: 'Trạng thái', en: 'Status', width: 14, value: (l) => word(lang, STATUS_VI, l.status) },
    { vi: 'Mã tham chiếu', en: 'Reference', width: 20, value: (l) => l.reference },
    { vi: 'Ngày chi', en: 'Paid on', width: 12, date: true, value: (l) => l.paidAt },
    { vi: 'Diễn giải', en: 'Note', width: 40, value: (l) => (lang === 'vi' ? l.noteVi : l.note) },
  ];
}

function findingColumns(lang: FileLang): Column<Finding>[] {
  const ids = (xs: readonly string[]) => xs.join('; ');
  return [
    { vi: 'Mã phát hiện', en: 'Key', width: 40, value: (f) => f.key },
    { vi: 'Loại phát hiện', en: 'Kind', width: 24, value: (f) => word(lang, FINDING_VI, f.kind) },
    { vi: 'Mã xã', en: 'Commune code', width: 10, value: (f) => f.communeCode },
    { vi: 'Tháng', en: 'Month', width: 9, value: (f) => (f.period ? officerMonth(f.period) : null) },
    { vi: 'Mã chế độ', en: 'Program', width: 14, value: (f) => f.programCode },
    { vi: 'Mã người', en: 'Person ids', width: 38, value: (f) => ids(f.personIds) },
    { vi: 'Mã hồ sơ hưởng', en: 'Enrolment ids', width: 38, value: (f) => ids(f.enrolmentIds) },
    { vi: 'Mã khoản chi', en: 'Payment ids', width: 38, value: (f) => ids(f.paymentIds) },
    { vi: 'Các xã liên quan', en: 'Communes', width: 14, value: (f) => ids(f.communes) },
    { vi: 'Số tiền đã chi (đồng)', en: 'Amount (VND)', width: 14, value: (f) => f.amount },
    { vi: 'Số tiền theo mức hưởng (đồng)', en: 'Expected amount (VND)', width: 14, value: (f) => f.expectedAmount },
    { vi: 'Nội dung', en: 'Detail', width: 60, value: (f) => (lang === 'vi' ? f.detailVi : f.detail) },
    { vi: 'Chứng cứ', en: 'Evidence', width: 40, value: (f) => JSON.stringify(f.evidence) },
    { vi: 'Người xem xét', en: 'Reviewed by', width: 20, value: (f) => f.review?.reviewedBy ?? null },
    { vi: 'Thời điểm xem xét', en: 'Reviewed at', width: 17, value: (f) => (f.review ? officerDateTime(new Date(f.review.reviewedAt)) : null) },
    { vi: 'Kết luận xem xét', en: 'Review note', width: 40, value: (f) => f.review?.note ?? null },
  ];
}

/** A comma-separated list of codes, each one of `allowed`; absent or empty: null (all). */
function codes(p: Problems, q: Query, name: string, allowed: readonly string[]): string[] | null {
  const v = text(p, q, name);
  if (v === undefined) return null;
  const out = [
    ...new Set(
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
  for (const c of out) if (!allowed.includes(c)) p.add(name, `unknown ${c}: one of ${allowed.join(', ')}`, `không có ${c}: một trong ${allowed.join(', ')}`);
  return out.length > 0 ? out : null;
}

/** A month parameter, as yyyy-mm or mm/yyyy (as officers write it); yyyy-mm out, checked by the service. */
function monthParam(p: Problems, q: Query, name: string): string {
  const v = text(p, q, name) ?? '';
  const my = /^(\d{2})\/(\d{4})$/.exec(v);
  return my ? `${my[2]}-${my[1]}` : v;
}

export function registerPaymentExports(app: FastifyInstance, services: Services): void {
  const { payments, findings } = services;

  /** Appends an access event for the sensitive field groups an export page shows of these people. */
  async function logReads(principal: Principal, requestId: string, personIds: readonly string[], groups: readonly FieldGroup[]) {
    const ledger = new ReadLedger();
    ledger.operation = 'export';
    for (const id of personIds) ledger.note('person', id, groups);
    await services.accessLog.record(principal, requestId, ledger);
  }

  const lang = (request: FastifyRequest, p: Problems) => headerLang(request.query as Query, request.headers['accept-language'], p);
  /** HIV programs for a caller who does not see the hiv group: their lines and findings are left out whole. */
  const hidden = (principal: Principal): readonly string[] => (sightOf(principal, 'hiv') === 'full' ? [] : [...HIV_PROGRAMS]);

  for (const format of ['csv', 'xlsx'] as const satisfies readonly TableFormat[]) {
    const file = fileResponse(
      format === 'csv' ? 'The file, UTF-8 CSV with a byte order mark, streamed.' : 'The file, one sheet, streamed.',
      format === 'csv' ? 'text/csv' : 'xlsx',
    );

    app.get(
      `/exports/payment-cycle-lines.${format}`,
      documentedOnly({
        tags: ['exports'],
        summary: `Lines of a payment cycle as ${format.toUpperCase()}`,
        description:
          'Every line of GraphQL `paymentCycle(id) { payments(kinds, statuses) }`, in its order (program, person, month, kind), with the ' +
          "person's name and identification number, the program's name and the recipient; identification and account numbers " +
          'masked per role; lines of HIV programs only for callers who see HIV status. NOT_FOUND for an unknown cycle and for ' +
          "one of a commune outside the token (GraphQL answers null for both); integration clients need benefits:read. Not the bank's " +
          'file: that is `/payments/cycles/{id}/export.*`.',
        querystring: {
          type: 'object',
          required: ['cycleId'],
          properties: {
            cycleId: { type: 'string', format: 'uuid', description: 'Id of the payment cycle.' },
            kinds: { type: 'string', description: `Line kinds, comma-separated (${PAYMENT_KINDS.join(', ')}); all when absent.` },
            statuses: { type: 'string', description: `Line statuses, comma-separated (${PAYMENT_STATUSES.join(', ')}); all when absent.` },
            lang: LANG_PARAMETER,
          },
        },
        response: { 200: file, 404: { description: 'NOT_FOUND', content: ERROR_RESPONSES[400].content }, ...ERROR_RESPONSES },
      }),
      async (request, reply) => {
        const q = request.query as Query;
        const p = new Problems();
        const cycleId = text(p, q, 'cycleId');
        if (cycleId === undefined) p.add('cycleId', 'is required', 'là bắt buộc');
        else if (!isUuid(cycleId)) p.add('cycleId', 'is not a valid id', 'không phải mã hợp lệ');
        const kinds = codes(p, q, 'kinds', PAYMENT_KINDS);
        const statuses = codes(p, q, 'statuses', PAYMENT_STATUSES);
        const headers = lang(request, p);
        p.throwIfAny();
        const principal = principalOf(request);
        // Before the file starts: an unknown cycle, or one of a commune the caller does not see, is a JSON 404 (GraphQL: null).
        const found = await payments.paymentCycle(principal, cycleId ?? '');
        if (!found) throw notFound('payment cycle', cycleId ?? '');
        const cycle = found;
        const withoutPrograms = hidden(principal);
        async function* lines() {
          for await (const page of payments.cycleLinePages(cycle.id, { kinds, statuses, withoutPrograms }, EXPORT_PAGE_SIZE)) {
            // Amounts and accounts (financial) and programs (health; HIV status for an HIV program) of these people.
            const hiv = page.some((l) => HIV_PROGRAMS.has(l.programCode));
            await logReads(
              principal,
              request.id,
              page.map((l) => l.personId),
              hiv ? ['financial', 'health', 'hiv'] : ['financial', 'health'],
            );
            yield page;
          }
        }
        return sendTable(request, reply, {
          format,
          lang: headers,
          fileName: `khoan-chi-${namePart(cycle.communeCode)}-${cycle.period.slice(0, 7)}`,
          sheet: { vi: 'Khoản chi', en: 'Payment lines' },
          columns: lineColumns(headers, principal),
          pages: lines(),
        });
      },
    );

    app.get(
      `/exports/audit-findings.${format}`,
      documentedOnly({
        tags: ['exports'],
        summary: `Audit findings as ${format.toUpperCase()}`,
        description:
          'Every page of GraphQL `auditFindings` with the same arguments and checks, by key, with the latest review; findings ' +
          'about HIV programs only for callers who see HIV status. Without communeCode, every commune the token covers; FORBIDDEN ' +
          'for a commune outside it (as GraphQL). Integration clients need benefits:read.',
        querystring: {
          type: 'object',
          required: ['from', 'to'],
          properties: {
            from: { type: 'string', description: 'First month, yyyy-mm or mm/yyyy.' },
            to: { type: 'string', description: 'Last month, yyyy-mm or mm/yyyy (at most 36 months from the first).' },
            communeCode: { type: 'string', description: 'One commune (every commune the token covers when absent).' },
            kinds: { type: 'string', description: `Finding kinds, comma-separated (${FINDING_KINDS.join(', ')}); all when absent.` },
            lang: LANG_PARAMETER,
          },
        },
        response: { 200: file, ...ERROR_RESPONSES },
      }),
      async (request, reply) => {
        const q = request.query as Query;
        const p = new Problems();
        const from = monthParam(p, q, 'from');
        const to = monthParam(p, q, 'to');
        const communeCode = text(p, q, 'communeCode') ?? null;
        const kinds = codes(p, q, 'kinds', FINDING_KINDS);
        const headers = lang(request, p);
        p.throwIfAny();
        const principal = principalOf(request);
        const withoutPrograms = new Set(hidden(principal));
        async function* pages() {
          // The findings service works out every finding of the range at once (findings cross lines, months and
          // communes); the file is then written a page at a time, each page's reads logged as it goes.
          const all = (await findings.allFindings(principal, { communeCode, from, to, kinds })).filter(
            (f) => f.programCode === null || !withoutPrograms.has(f.programCode),
          );
          for (let i = 0; i < all.length; i += EXPORT_PAGE_SIZE) {
            const page = all.slice(i, i + EXPORT_PAGE_SIZE);
            const hiv = page.some((f) => f.programCode !== null && HIV_PROGRAMS.has(f.programCode));
            await logReads(
              principal,
              request.id,
              page.flatMap((f) => f.personIds),
              hiv ? ['financial', 'health', 'hiv'] : ['financial', 'health'],
            );
            yield page;
          }
        }
        return sendTable(request, reply, {
          format,
          lang: headers,
          fileName: `phat-hien-kiem-tra-${namePart(communeCode ?? 'tat-ca')}-${namePart(from)}-${namePart(to)}`,
          sheet: { vi: 'Phát hiện kiểm tra', en: 'Audit findings' },
          columns: findingColumns(headers),
          pages: pages(),
        });
      },
    );
  }
}
