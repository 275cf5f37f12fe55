/**
 * Graceful close for keep-alive clients. While the app closes (SIGTERM), requests already in flight are
 * answered, and each answer says `Connection: close`, so the client's kept-alive socket ends with it
 * instead of holding the server open until the grace delay runs out.
 */
import type { FastifyInstance } from 'fastify';

export function closeConnectionsWhenClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
}
