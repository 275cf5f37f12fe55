/**
 * Logger settings. Authorization headers and identification numbers must never reach a log: headers are
 * not logged at all beyond method/url, and any 12-digit number in a message or URL is masked.
 */
import type { LoggerOptions } from 'pino';
import { safeError, scrubIdentifiers } from './safe-error.js';

export { scrubIdentifiers };

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.authorization', '*.nationalId', '*.national_id'], censor: '[redacted]' },
    serializers: {
      // Errors, database errors above all, are logged without query parameters or values (safe-error.ts).
      err: safeError,
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: scrubIdentifiers(req.url) }),
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrubIdentifiers(a) : a)) as Parameters<typeof method>);
      },
    },
  };
}
