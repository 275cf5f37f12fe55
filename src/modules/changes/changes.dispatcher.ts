/**
 * The dispatcher: a background loop that numbers new change events and delivers them to the registered sinks.
 *
 * - One at a time across instances: each tick first claims (or renews) the lease row; an instance without it does
 *   nothing. Numbering runs in a transaction that locks the lease row, and positions are unique, so even a
 *   dispatcher whose lease ran out meanwhile cannot number events twice.
 * - At least once: a delivery is marked delivered only after the sink acknowledged it (its promise resolved),
 *   in its own statement, so a restart re-sends only what was not acknowledged; receivers dedupe by event id.
 * - In order per person and household: a sink gets an event only when every earlier event sharing a person or
 *   household has been acknowledged by it (changes.repository.ts findDueDeliveries).
 * - Retries with exponential backoff up to a cap; after the last allowed attempt the delivery is dead-lettered
 *   until an admin replays it.
 * - Retention: at most once every PRUNE_EVERY_MS, after a tick of the loop, the lease holder deletes, in batches, the oldest events older than
 *   the retention that every sink has acknowledged (changes.repository.ts pruneDelivered): never one still to
 *   deliver or dead-lettered. The audit log, which the events were derived from, is not touched.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { DispatchSettings } from '../../config.js';
import type { ChangeType } from '../../core/change-types.js';
import type { Db } from '../../db/client.js';
import * as repo from './changes.repository.js';

/** One change event as a sink receives it (and the feed shows it). */
export interface ChangeEventMessage {
  /** The event's id: its position, unique and stable; receivers dedupe by it. */
  id: string;
  /** Opaque cursor of the event in the `changes` feed. */
  cursor: string;
  type: ChangeType;
  personIds: string[];
  householdId: string | null;
  communeCode: string;
  previousCommuneCode: string | null;
  occurredAt: Date;
  payload: Record<string, unknown>;
}

/**
 * A consumer of change events. `name` keys its delivery state, so it must stay the same across restarts (a DCI
 * subscription's id, say). `deliver` resolves once the receiver has acknowledged the event; throwing (or not
 * settling within the delivery timeout) schedules a retry. It gets an AbortSignal that fires on timeout or
 * shutdown. A sink receives the events numbered after the dispatcher first saw it.
 */
export interface ChangeSink {
  readonly name: string;
  deliver(event: ChangeEventMessage, signal: AbortSignal): Promise<void>;
}

/** Events numbered and deliveries read per statement. */
const BATCH = 200;
/** How often the lease holder looks for events past the retention, and how many it deletes per transaction and per look. */
export const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 1000;
const PRUNE_BATCHES_PER_TICK = 50;

/** The wait before attempt n+1 after n failed attempts: base·2^(n−1), capped. */
export function backoffDelay(failedAttempts: number, s: Pick<DispatchSettings, 'backoffBaseMs' | 'backoffMaxMs'>): number {
  return Math.min(s.backoffMaxMs, s.backoffBaseMs * 2 ** Math.max(0, failedAttempts - 1));
}

export const encodeChangeCursor = (position: number) => Buffer.from(`c:${position}`).toString('base64url');

export function toMessage(e: repo.NumberedChangeEvent): ChangeEventMessage {
  return {
    id: String(e.position),
    cursor: encodeChangeCursor(e.position),
    type: e.type,
    personIds: e.personIds,
    householdId: e.householdId,
    communeCode: e.communeCode,
    previousCommuneCode: e.previousCommuneCode,
    occurredAt: e.occurredAt,
    payload: e.payload as Record<string, unknown>,
  };
}

export interface TickResult {
  /** This instance held the lease for the tick. */
  holding: boolean;
  delivered: number;
  failed: number;
}

class Stopped extends Error {}

export function createDispatcher(deps: { db: Db; sinks: () => ChangeSink[]; settings: DispatchSettings }) {
  const { db, settings } = deps;
  // Names this instance in the lease row; a new one per process start.
  const holder = randomUUID();
  let log: FastifyBaseLogger | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopping = new AbortController();
  let running = false;
  // Whether this instance ever held the lease: only then has it one to give up.
  let claimed = false;
  // Ticks of one instance never overlap (the loop's and a test's runOnce).
  let queue: Promise<unknown> = Promise.resolve();
  // When this instance last looked for events past the retention (0: never, so the first tick it holds the lease).
  let prunedAt = 0;

  /** Delivers one event; resolves when acknowledged, rejects on failure, timeout (Error) or shutdown (Stopped). */
  function attempt(sink: ChangeSink, event: ChangeEventMessage): Promise<void> {
    const timeout = AbortSignal.timeout(settings.deliveryTimeoutMs);
    const signal = AbortSignal.any([stopping.signal, timeout]);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        reject(stopping.signal.aborted ? new Stopped() : new Error(`no acknowledgement within ${settings.deliveryTimeoutMs} ms`));
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      // A sink may throw synchronously or hang: either way this promise settles (the abort above).
      Promise.resolve()
        .then(() => sink.deliver(event, signal))
        .then(resolve, reject)
        .finally(() => {
          signal.removeEventListener('abort', onAbort);
        });
    });
  }

  async function tick(): Promise<TickResult> {
    const result: TickResult = { holding: false, delivered: 0, failed: 0 };
    if (!(await repo.claimLease(db, holder, settings.leaseMs))) return result;
    claimed = true;
    result.holding = true;
    let renewedAt = Date.now();
    const sinks = deps.sinks();
    const names = sinks.map((s) => s.name);
    const numbered = await db.transaction(async (tx) => {
      if (!(await repo.lockOwnLease(tx, holder))) return false;
      // Sinks first: a sink seen for the first time starts after the events numbered before this tick.
      await repo.addSinks(tx, names);
      while ((await repo.numberEvents(tx, BATCH)) === BATCH);
      await repo.queueDeliveries(tx, names);
      return true;
    });
    if (!numbered) return { ...result, holding: false };
    // Sinks are served side by side: a slow or unreachable subscriber delays only its own deliveries.
    await Promise.all(sinks.map((sink) => deliverTo(sink)));
    return result;

    async function deliverTo(sink: ChangeSink): Promise<void> {
      for (;;) {
        const due = await repo.findDueDeliveries(db, sink.name, BATCH);
        if (due.length === 0) return;
        for (const { event, attempts } of due) {
          if (stopping.signal.aborted) return;
          // Renewed well before it runs out, so that a slow batch never lets a second dispatcher in.
          if (Date.now() - renewedAt > settings.leaseMs / 3) {
            if (!(await repo.claimLease(db, holder, settings.leaseMs))) {
              result.holding = false;
              return;
            }
            renewedAt = Date.now();
          }
          if (!result.holding) return;
          try {
            await attempt(sink, toMessage(event));
          } catch (err) {
            if (err instanceof Stopped) return;
            const failed = attempts + 1;
            const deadLetter = failed >= settings.maxAttempts;
            const reason = (err instanceof Error ? err.message : String(err)).slice(0, 500);
            await repo.markFailed(db, sink.name, event.position, reason, backoffDelay(failed, settings), deadLetter);
            // The reason stays in the table for the admin: a sink's message may quote the event.
            log?.warn({ sink: sink.name, position: event.position, attempts: failed, deadLetter }, 'change delivery failed');
            result.failed++;
            // The sink is likely down: its other deliveries wait for the next tick rather than each spending a
            // timeout now. Order is kept either way (what follows this event for its person is held back).
            return;
          }
          await repo.markDelivered(db, sink.name, event.position);
          result.delivered++;
        }
      }
    }
  }

  /**
   * Deletes events past the retention, a batch per transaction, each under the lease row's lock (no numbering or
   * queueing meanwhile); stops when a batch finds nothing, the lease is lost, or after PRUNE_BATCHES_PER_TICK.
   */
  async function prune(): Promise<number> {
    // The usual case, nothing old enough: one index read, no transaction.
    if (!(await repo.anyPastRetention(db, settings.retentionDays))) return 0;
    let pruned = 0;
    for (let i = 0; i < PRUNE_BATCHES_PER_TICK && !stopping.signal.aborted; i++) {
      const range = await db.transaction(async (tx) =>
        (await repo.lockOwnLease(tx, holder)) ? repo.pruneDelivered(tx, settings.retentionDays, PRUNE_BATCH) : null,
      );
      if (!range) break;
      pruned += range.through - range.from + 1;
    }
    if (pruned > 0) log?.info({ pruned, retentionDays: settings.retentionDays }, 'change events past the retention deleted');
    return pruned;
  }

  /** One tick, after any tick of this instance still running. */
  function runOnce(): Promise<TickResult> {
    const next = queue.then(tick, tick);
    queue = next.catch(() => undefined);
    return next;
  }

  /** Deletes the events past the retention now (the loop does it every PRUNE_EVERY_MS), after any tick still running. */
  function pruneNow(): Promise<number> {
    const next = queue.then(prune, prune);
    queue = next.catch(() => undefined);
    return next;
  }

  function schedule(ms: number) {
    timer = setTimeout(() => {
      runOnce()
        .then(async (r) => {
          // Retention, apart from the ticks that runOnce gives tools and tests, at most every PRUNE_EVERY_MS.
          if (!r.holding || Date.now() - prunedAt < PRUNE_EVERY_MS) return;
          prunedAt = Date.now();
          await pruneNow();
        })
        .catch((err: unknown) => {
          log?.warn({ code: (err as { code?: unknown }).code }, 'change dispatch tick failed');
        })
        .finally(() => {
          if (running) schedule(settings.pollIntervalMs);
        });
    }, ms);
    // The loop alone does not keep the process alive.
    timer.unref();
  }

  return {
    holder,
    runOnce,
    pruneNow,
    /** Starts the loop (its first tick at once). */
    start(logger?: FastifyBaseLogger) {
      if (running) return;
      log = logger;
      running = true;
      stopping = new AbortController();
      schedule(0);
    },
    /**
     * Stops the loop: the delivery in flight is abandoned unacknowledged (sent again later, by this or another
     * instance), the tick finishes, and the lease is given up so another instance takes over at once.
     */
    async stop() {
      running = false;
      clearTimeout(timer);
      stopping.abort();
      await queue;
      if (claimed) await repo.releaseLease(db, holder).catch(() => undefined);
      claimed = false;
    },
  };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;
