/**
 * The services every request can reach (ctx.services), built and wired once in app.ts. Its own file so
 * that the GraphQL context can name the type without importing the composition root.
 */
import type { Clock } from './clock.js';
import type { AccessLogService } from './modules/audit/access-log.service.js';
import type { AuditService } from './modules/audit/audit.service.js';
import type { AuthService } from './modules/auth/auth.service.js';
import type { DciService } from './modules/dci/dci.service.js';
import type { BenefitsService } from './modules/benefits/benefits.service.js';
import type { ChangesService } from './modules/changes/changes.service.js';
import type { ExchangeService } from './modules/payments/exchange.service.js';
import type { FindingsService } from './modules/payments/findings.service.js';
import type { PaymentsService } from './modules/payments/payments.service.js';
import type { PlacesService } from './modules/places/places.service.js';
import type { RegistryService } from './modules/registry/registry.service.js';
import type { ResidenceService } from './modules/registry/residence.service.js';
import type { RulesService } from './modules/rules/rules.service.js';

export interface Services {
  clock: Clock;
  audit: AuditService;
  /** Who read whose sensitive data (issue 11). */
  accessLog: AccessLogService;
  auth: AuthService;
  places: PlacesService;
  registry: RegistryService;
  residence: ResidenceService;
  rules: RulesService;
  benefits: BenefitsService;
  payments: PaymentsService;
  /** Exchange files with banks and the post office (REST and CLI only). */
  exchange: ExchangeService;
  /** Audit findings and payment reports. */
  findings: FindingsService;
  /** The DCI Social Registry API (REST under /dci/registry/, admin over GraphQL). */
  dci: DciService;
  /** Change events: the sinks they are delivered to, the dispatcher, the pull feed. */
  changes: ChangesService;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The services as app.ts wired them (for the CLIs, which call them without HTTP). */
    services: Services;
  }
}
