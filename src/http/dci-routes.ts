/**
 * The DCI Social Registry API's HTTP routes (docs/integration.md, "DCI Social Registry API"): the registry side
 * under /dci/registry/…, and An Sinh's public signing keys at /.well-known/jwks.json (the spec's JWKS API). These
 * routes take no An Sinh token: a partner is authenticated by the signature of each message against the keys an
 * administrator registered for it (src/modules/dci/dci.service.ts). Refusals carry the spec's error codes:
 * 401/403/404/429 as its HttpErrorResponse ({ errors: [{ code, message }] }), 400 as an acknowledgement with
 * ack_status ERR and the error. An async request's callback runs after its ACK has been sent.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DciError, type DciReply, type DciService } from '../modules/dci/dci.service.js';

export const DCI_PREFIX = '/dci/registry/';
export const DCI_JWKS_PATH = '/.well-known/jwks.json';

export function registerDciRoutes(app: FastifyInstance, dci: DciService): void {
  const pending = new Set<Promise<void>>();
  // Callbacks still running when the app closes are waited for (a test, or a graceful shutdown).
  app.addHook('onClose', async () => {
    await Promise.allSettled([...pending]);
  });

  function send(reply: FastifyReply, run: () => Promise<DciReply>) {
    return run().then(
      (answer) => {
        if (answer.after) {
          const job = answer
            .after()
            .catch((err: unknown) => {
              app.log.error({ error: (err as Error).name }, 'dci callback job failed');
            })
            .finally(() => pending.delete(job));
          pending.add(job);
        }
        return reply.code(answer.status).send(answer.body);
      },
      (err: unknown) => {
        if (!(err instanceof DciError)) throw err;
        reply.log.info({ code: err.code, status: err.status }, 'dci request refused');
        if (err.status === 400) {
          return reply.code(400).send({
            message: {
              ack_status: 'ERR',
              timestamp: new Date().toISOString(),
              error: { code: err.code, message: err.en, messageVi: err.vi },
              correlation_id: randomUUID(),
            },
          });
        }
        return reply.code(err.status).send({ errors: [{ code: err.code, message: err.en, messageVi: err.vi }] });
      },
    );
  }

  app.get(DCI_JWKS_PATH, async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(dci.publicJwks));
  app.post(`${DCI_PREFIX}sync/search`, (request, reply) => send(reply, () => dci.syncSearch(request.body)));
  app.post(`${DCI_PREFIX}search`, (request, reply) => send(reply, () => dci.search(request.body)));
  app.post(`${DCI_PREFIX}subscribe`, (request, reply) => send(reply, () => dci.subscribe(request.body, request.id)));
  app.post(`${DCI_PREFIX}unsubscribe`, (request, reply) => send(reply, () => dci.unsubscribe(request.body, request.id)));
  app.post(`${DCI_PREFIX}txn/status`, (request, reply) => send(reply, () => dci.txnStatus(request.body, false)));
  app.post(`${DCI_PREFIX}sync/txn/status`, (request, reply) => send(reply, () => dci.txnStatus(request.body, true)));
}
