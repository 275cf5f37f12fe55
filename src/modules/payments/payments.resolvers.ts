/**
 * GraphQL for payment recipients, cycles, lines and results: translation only; the payments service checks access
 * and input.
 */
import type { MercuriusContext } from 'mercurius';
import { periodOf, toDateString } from '../../core/period.js';
import { checkId } from '../../errors.js';
import type { Resolvers } from '../../graphql/generated.js';
import type { AuditActor } from '../audit/audit.service.js';

const actorOf = (ctx: MercuriusContext): AuditActor => ({ principal: ctx.principal, requestId: ctx.requestId });
const monthOf = (d: string | Date) => periodOf(toDateString(d));

export const paymentsResolvers: Resolvers = {
  Query: {
    paymentCycle: (_, { id }, ctx) => {
      checkId('id', id);
      return ctx.services.payments.paymentCycle(ctx.principal, id);
    },
    paymentCycles: (_, args, ctx) => ctx.services.payments.paymentCycles(ctx.principal, args),
    paymentRecipients: (_, { enrolmentId }, ctx) => {
      checkId('enrolmentId', enrolmentId);
      return ctx.services.payments.paymentRecipients(ctx.principal, enrolmentId);
    },
  },
  Mutation: {
    recordPaymentRecipient: (_, { input }, ctx) => {
      checkId('input.enrolmentId', input.enrolmentId);
      if (input.recipientPersonId) checkId('input.recipientPersonId', input.recipientPersonId);
      return ctx.services.payments.recordPaymentRecipient(actorOf(ctx), input);
    },
    createPaymentCycle: (_, { communeCode, period }, ctx) => ctx.services.payments.createPaymentCycle(actorOf(ctx), communeCode, period),
    createPaymentCycles: (_, { period }, ctx) => ctx.services.payments.createPaymentCycles(actorOf(ctx), period),
    approvePaymentCycle: (_, { id }, ctx) => {
      checkId('id', id);
      return ctx.services.payments.approvePaymentCycle(actorOf(ctx), id);
    },
    recordPaymentResult: (_, args, ctx) => {
      checkId('paymentId', args.paymentId);
      return ctx.services.payments.recordPaymentResult(actorOf(ctx), args);
    },
  },
  PaymentRecipient: {
    accountNo: (r, _, ctx) => ctx.services.payments.maskAccountFor(ctx.principal, r.accountNo),
  },
  PaymentCycle: {
    period: (c) => monthOf(c.period),
    controlTotals: async (c, _, ctx) => {
      const t = await ctx.services.payments.totalsFor(ctx.principal, c);
      return { ...t, byProgram: Object.entries(t.byProgram).map(([programCode, x]) => ({ programCode, ...x })) };
    },
    nonCashShare: (c, _, ctx) => ctx.services.payments.nonCashShareFor(ctx.principal, c.id),
    payments: (c, args, ctx) => ctx.services.payments.paymentsOfCycle(c.id, args),
  },
  Payment: {
    period: (p) => monthOf(p.period),
    recipient: (p, _, ctx) => (p.recipientId ? ctx.services.payments.recipient(p.recipientId).then((r) => r ?? null) : null),
  },
};
