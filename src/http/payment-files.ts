/**
 * REST routes of the exchange files with banks and the post office (docs/payments.md#exchange-files). Files are not
 * GraphQL's business (binary, streamed, uploaded as they are), but these routes are authenticated like /graphql
 * (the onRequest hook of app.ts; principalOf) and answer errors in the app's REST shape ({ error: { code, message,
 * messageVi, … } }, app.ts' error handler):
 * - GET  /payments/cycles/:id/export.csv | export.xlsx [?lang=vi|en]: the payment file of an approved cycle;
 * - POST /payments/cycles/:id/reconciliation: the file the bank sends back, as the raw request body
 *   (Content-Type text/csv, or the XLSX type); answers the counts and the rejected rows as JSON.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Problems } from '../errors.js';
import { cycleCsv, writeCycleXlsx, type CycleExport, type FileLang } from '../modules/payments/exchange-files.js';
import type { ExchangeService } from '../modules/payments/exchange.service.js';
import { documentedOnly, ERROR_RESPONSES, fileResponse, LANG_PARAMETER } from './openapi.js';
import { principalOf } from './principal.js';
import { XLSX_TYPE } from './table-stream.js';

export { XLSX_TYPE };
/** A reconciliation file may be larger than a GraphQL request (1 MiB): 200,000 rows fit in 32 MiB. */
const FILE_LIMIT = 32 * 1_048_576;
/** A progress line in the log every this many rows applied (counts only: no personal data). */
const PROGRESS_EVERY = 1000;

function langOf(query: unknown): FileLang {
  const lang = (query as { lang?: unknown }).lang;
  if (lang === undefined || lang === 'vi') return 'vi';
  if (lang === 'en') return 'en';
  new Problems().add('lang', 'must be vi or en', 'phải là vi hoặc en').throwIfAny();
  throw new Error('lang checked above');
}

/** The file's name: commune and month, so a folder of them sorts by commune. */
const fileName = (exp: CycleExport, ext: string) => `chi-tra-${exp.communeCode}-${exp.period}.${ext}`;

function attachment(reply: FastifyReply, exp: CycleExport, ext: string, type: string) {
  return reply.header('content-disposition', `attachment; filename="${fileName(exp, ext)}"`).type(type);
}

const CYCLE_ID = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid', description: 'Id of the payment cycle.' } } };

/** The OpenAPI description of the payment file routes (src/http/openapi.ts). */
const cycleFileDoc = (format: 'csv' | 'xlsx') =>
  documentedOnly({
    tags: ['payments'],
    summary: `Payment file of an approved cycle as ${format.toUpperCase()}`,
    description:
      format === 'csv'
        ? 'The lines to pay and a total row (docs/payments.md#exchange-files). Account numbers masked per role.'
        : 'Sheet 1 the lines to pay with a total row, sheet 2 the recoveries, sheet 3 the control totals (docs/payments.md#exchange-files).',
    params: CYCLE_ID,
    querystring: { type: 'object', properties: { lang: LANG_PARAMETER } },
    response: {
      200: fileResponse('The payment file.', format === 'csv' ? 'text/csv' : 'xlsx'),
      404: { description: 'NOT_FOUND', content: ERROR_RESPONSES[400].content },
      409: { description: 'CONFLICT: the cycle is not approved.', content: ERROR_RESPONSES[400].content },
      ...ERROR_RESPONSES,
    },
  });

const RECONCILIATION_DOC = documentedOnly({
  tags: ['payments'],
  summary: "Import the bank's or post office's reconciliation file",
  description:
    'The file as the raw request body (Content-Type text/csv, or the XLSX type); answers the counts and the rejected rows with ' +
    'their reasons. Importing the same file again changes nothing (docs/payments.md#exchange-files).',
  params: CYCLE_ID,
  body: {
    content: {
      'text/csv': { schema: { type: 'string' } },
      [XLSX_TYPE]: { schema: { type: 'string', format: 'binary' } },
    },
  },
  response: {
    200: {
      description: 'The outcome: rows read, applied, unchanged, rejected (with reasons).',
      content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
    },
    404: { description: 'NOT_FOUND', content: ERROR_RESPONSES[400].content },
    ...ERROR_RESPONSES,
  },
});

export function registerPaymentFiles(app: FastifyInstance, deps: { exchange: ExchangeService }): void {
  const { exchange } = deps;
  // A plugin of its own, so the raw-body parsers below apply to these routes only (never to /graphql).
  void app.register((scope, _options, done) => {
    scope.addContentTypeParser(['text/csv', 'application/csv', XLSX_TYPE, 'application/octet-stream'], { parseAs: 'buffer' }, (_req, body, done) => {
      done(null, body);
    });
    // A file over the limit is refused before it is read, saying what the limit is (the app's handler would say "Bad
    // request" for it); any other error goes on to the app's handler.
    scope.setErrorHandler((err, _request, reply) => {
      if ((err as { code?: unknown }).code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw err;
      const mib = FILE_LIMIT / 1_048_576;
      return reply.code(413).send({
        error: {
          code: 'VALIDATION_FAILED',
          field: 'file',
          message: `file: is larger than ${mib} MiB: split it`,
          messageVi: `file: tệp lớn hơn ${mib} MiB: hãy chia nhỏ tệp`,
        },
      });
    });

    scope.get<{ Params: { id: string } }>('/payments/cycles/:id/export.csv', cycleFileDoc('csv'), async (request, reply) => {
      const lang = langOf(request.query);
      const exp = await exchange.exportCycle(principalOf(request), request.params.id, lang);
      return attachment(reply, exp, 'csv', 'text/csv; charset=utf-8').send(cycleCsv(exp, lang));
    });

    scope.get<{ Params: { id: string } }>('/payments/cycles/:id/export.xlsx', cycleFileDoc('xlsx'), async (request, reply) => {
      const lang = langOf(request.query);
      const exp = await exchange.exportCycle(principalOf(request), request.params.id, lang);
      const body = new PassThrough();
      // Written while it is sent; an error half-way ends the response (the client sees a broken download).
      writeCycleXlsx(exp, lang, body).catch((err: unknown) => {
        request.log.error({ cycleId: exp.cycleId, err: (err as Error).message }, 'writing the XLSX payment file failed');
        body.destroy(err as Error);
      });
      return attachment(reply, exp, 'xlsx', XLSX_TYPE).send(body);
    });

    scope.post<{ Params: { id: string }; Body: Buffer }>(
      '/payments/cycles/:id/reconciliation',
      { bodyLimit: FILE_LIMIT, ...RECONCILIATION_DOC },
      async (request) => {
        const type = (request.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
        const body = request.body;
        if (!Buffer.isBuffer(body) || body.length === 0)
          new Problems()
            .add(
              'file',
              'send the file as the request body (Content-Type text/csv or the XLSX type)',
              'gửi tệp trong thân yêu cầu (Content-Type text/csv hoặc XLSX)',
            )
            .throwIfAny();
        // An XLSX is a zip file ("PK"): recognised by its type or its first bytes.
        const format = type === XLSX_TYPE || (type === 'application/octet-stream' && body.subarray(0, 2).toString('latin1') === 'PK') ? 'xlsx' : 'csv';
        const actor = { principal: principalOf(request), requestId: request.id };
        const outcome = await exchange.importReconciliation(actor, request.params.id, { body, format }, (done, total) => {
          if (done % PROGRESS_EVERY === 0 || done === total) request.log.info({ cycleId: request.params.id, done, total }, 'reconciliation progress');
        });
        request.log.info(
          { cycleId: outcome.cycleId, rows: outcome.rows, applied: outcome.applied, unchanged: outcome.unchanged, rejected: outcome.rejected },
          'reconciliation imported',
        );
        return outcome;
      },
    );
    done();
  });
}
