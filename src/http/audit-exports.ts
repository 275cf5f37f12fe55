/**
 * CSV exports of audit findings and of the payment report (docs/payments.md#audit-findings, #reports), for auditors
 * who work in a spreadsheet. The same service calls, checks and masking as the GraphQL fields `auditFindings` and
 * `paymentReport`; the caller is the token's (the onRequest hook in app.ts authenticated it).
 *
 * - `GET /payments/audit-findings.csv?from=yyyy-mm&to=yyyy-mm[&communeCode=…][&kinds=A,B]`
 * - `GET /payments/report.csv?from=yyyy-mm&to=yyyy-mm[&communeCode=…]`
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { documentedOnly, ERROR_RESPONSES, fileResponse } from './openapi.js';
import { principalOf } from './principal.js';

export const AUDIT_EXPORT_ROUTES = ['/payments/audit-findings.csv', '/payments/report.csv'] as const;

/**
 * One CSV cell (RFC 4180): quoted when it holds a separator, quote or line break. Text a spreadsheet would run as
 * a formula (= + - @ first) gets a leading apostrophe; numbers are written as they are.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  let s = typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const csv = (header: readonly string[], rows: unknown[][]) => [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';

type Query = Record<string, string | undefined>;
const text = (q: Query, name: string) => (typeof q[name] === 'string' ? q[name] : undefined);

const MONTHS = {
  from: { type: 'string', description: 'First month, yyyy-mm.' },
  to: { type: 'string', description: 'Last month, yyyy-mm.' },
  communeCode: { type: 'string', description: 'One commune (every commune the token covers when absent).' },
} as const;

/** The OpenAPI description of these routes (src/http/openapi.ts). */
const doc = (summary: string, description: string, extra: Record<string, unknown> = {}) =>
  documentedOnly({
    tags: ['payments'],
    summary,
    description,
    querystring: { type: 'object', required: ['from', 'to'], properties: { ...MONTHS, ...extra } },
    response: { 200: fileResponse('The CSV, built whole (months of one district are small).', 'text/csv'), ...ERROR_RESPONSES },
  });

export function registerAuditExports(app: FastifyInstance, services: Services): void {
  app.get(
    '/payments/audit-findings.csv',
    doc('Audit findings as CSV', 'The findings of GraphQL `auditFindings`, same checks and masking (docs/payments.md#audit-findings).', {
      kinds: { type: 'string', description: 'Finding kinds, comma-separated.' },
    }),
    async (request, reply) => {
      const q = request.query as Query;
      const kinds = text(q, 'kinds')
        ?.split(',')
        .map((k) => k.trim())
        .filter(Boolean);
      const findings = await services.findings.allFindings(principalOf(request), {
        communeCode: text(q, 'communeCode') ?? null,
        from: text(q, 'from') ?? '',
        to: text(q, 'to') ?? '',
        kinds: kinds ?? null,
      });
      const body = csv(
        [
          'key',
          'kind',
          'commune_code',
          'period',
          'program_code',
          'person_ids',
          'enrolment_ids',
          'payment_ids',
          'communes',
          'amount',
          'expected_amount',
          'detail',
          'detail_vi',
          'evidence',
          'reviewed_by',
          'reviewed_at',
          'review_note',
        ],
        findings.map((f) => [
          f.key,
          f.kind,
          f.communeCode,
          f.period,
          f.programCode,
          f.personIds.join(' '),
          f.enrolmentIds.join(' '),
          f.paymentIds.join(' '),
          f.communes.join(' '),
          f.amount,
          f.expectedAmount,
          f.detail,
          f.detailVi,
          f.evidence,
          f.review?.reviewedBy,
          f.review ? new Date(f.review.reviewedAt).toISOString() : null,
          f.review?.note,
        ]),
      );
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="audit-findings.csv"').send(body);
    },
  );

  app.get(
    '/payments/report.csv',
    doc('Payment report as CSV', 'The months of GraphQL `paymentReport` by program and in all (docs/payments.md#reports).'),
    async (request, reply) => {
      const q = request.query as Query;
      const months = await services.findings.paymentReport(principalOf(request), {
        communeCode: text(q, 'communeCode') ?? null,
        from: text(q, 'from') ?? '',
        to: text(q, 'to') ?? '',
      });
      const rows = months.flatMap((m) =>
        [...m.byProgram, { ...m, programCode: 'ALL' }].map((l) => [
          l.communeCode,
          l.period,
          l.programCode,
          l.lines,
          l.owed,
          l.paid,
          l.outstanding,
          l.recoveries,
          l.recovered,
          l.arrearsPaid,
          l.backPayPaid,
          Math.round(l.nonCashShare * 10_000) / 10_000,
        ]),
      );
      const body = csv(
        [
          'commune_code',
          'period',
          'program_code',
          'lines',
          'owed',
          'paid',
          'outstanding',
          'recoveries',
          'recovered',
          'arrears_paid',
          'back_pay_paid',
          'non_cash_share',
        ],
        rows,
      );
      return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="payment-report.csv"').send(body);
    },
  );
}
