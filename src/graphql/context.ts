import type { Principal } from '../modules/auth/auth.types.js';
import type { Services } from '../services.js';

/** What every resolver receives besides Mercurius' own context fields. */
export interface RequestContext {
  principal: Principal;
  requestId: string;
  services: Services;
}

declare module 'mercurius' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface MercuriusContext extends RequestContext {}
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
