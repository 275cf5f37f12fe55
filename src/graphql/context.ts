import type { Principal } from '../modules/auth/auth.types.js';
import type { ReadLedger } from '../modules/auth/read-ledger.js';
import type { Services } from '../services.js';

/** What every resolver receives besides Mercurius' own context fields. */
export interface RequestContext {
  principal: Principal;
  requestId: string;
  services: Services;
  /** The request's reads of sensitive field groups and its withheld fields (access-policy.ts). */
  reads: ReadLedger;
}

declare module 'mercurius' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface MercuriusContext extends RequestContext {}
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** Set by the first read of a sensitive field group; written as the request's access event when it is answered. */
    reads?: ReadLedger;
  }
}
