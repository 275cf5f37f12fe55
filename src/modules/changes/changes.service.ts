/**
 * Change events (docs/integration.md#change-events): the sinks that receive them (a DCI subscriber registers one),
 * the dispatcher that delivers them, the `changes` pull feed, and the admin's view and replay of dead letters.
 * The events themselves are written by outbox.service.ts, from the audit log's append point.
 */
import type { Clock } from '../../clock.js';
import { DEFAULT_DISPATCH, type DispatchSettings } from '../../config.js';
import { CHANGE_TYPES, type ChangeType } from '../../core/change-types.js';
import type { Db } from '../../db/client.js';
import { DomainError, Problems, ValidationError } from '../../errors.js';
import { auditedTransaction, type AuditActor } from '../audit/audit.service.js';
import { assertRole } from '../auth/auth.service.js';
import {
  assertCanSee,
  assertMayReadChanges,
  changeTypesHiddenFrom,
  communeCondition,
  communesVisibleTo,
  HIV_PROGRAMS,
  principalOn,
  sightOf,
} from '../auth/access-policy.js';
import type { Principal } from '../auth/auth.types.js';
import type { PlacesService } from '../places/places.service.js';
import { createDispatcher, encodeChangeCursor, toMessage, type ChangeEventMessage, type ChangeSink } from './changes.dispatcher.js';
import * as repo from './changes.repository.js';

export type { ChangeEventMessage, ChangeSink, TickResult } from './changes.dispatcher.js';
export { backoffDelay, encodeChangeCursor } from './changes.dispatcher.js';
export type { DeadLetterRow } from './changes.repository.js';

export const MAX_CHANGES_PAGE = 1000;

function decodeChangeCursor(cursor: string): number {
  const s = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^c:(\d{1,15})$/.exec(s);
  if (!m) throw new ValidationError([{ field: 'since', en: 'is not a cursor this API returned', vi: 'không phải mã vị trí do dịch vụ trả về' }]);
  return Number(m[1]);
}

/** A sink name: short, printable, stable (it keys the sink's delivery state). */
const SINK_NAME = /^[\w.:-]{1,100}$/;

export interface ChangesArgs {
  since?: string | null;
  types?: readonly ChangeType[] | null;
  communeCode?: string | null;
  first?: number | null;
}

export interface ChangePage {
  nodes: ChangeEventMessage[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export function createChangesService(deps: { database: { db: Db }; clock: Clock; places: PlacesService; settings?: Partial<DispatchSettings> }) {
  const { db } = deps.database;
  const sinks = new Map<string, ChangeSink>();
  const settings: DispatchSettings = { ...DEFAULT_DISPATCH, ...deps.settings };
  const dispatcher = createDispatcher({ db, sinks: () => [...sinks.values()], settings });
  const callerToday = (p: Principal) => principalOn(p, deps.clock.today(), deps.places.communesOn);

  return {
    /**
     * Registers a consumer of change events (the DCI module registers one per subscription). Returns the function
     * that unregisters it; its delivery state stays, and it resumes where it stopped when registered again.
     */
    registerSink(sink: ChangeSink): () => void {
      if (!SINK_NAME.test(sink.name)) throw new Error(`registerSink: bad sink name ${JSON.stringify(sink.name)}`);
      if (sinks.has(sink.name)) throw new Error(`registerSink: a sink named ${sink.name} is already registered`);
      sinks.set(sink.name, sink);
      return () => {
        if (sinks.get(sink.name) === sink) sinks.delete(sink.name);
      };
    },

    /** The background loop (started and stopped by app.ts) and, for tests and tools, one tick of it. */
    dispatcher,

    /** The pull feed: events after `since`, oldest first, those the caller may see. */
    async changes(principal: Principal, args: ChangesArgs): Promise<ChangePage> {
      assertMayReadChanges(principal);
      const first = args.first ?? 100;
      const p = new Problems();
      if (!Number.isInteger(first) || first < 1 || first > MAX_CHANGES_PAGE)
        p.add('first', `must be 1–${MAX_CHANGES_PAGE}`, `phải từ 1 đến ${MAX_CHANGES_PAGE}`);
      p.throwIfAny();
      const after = args.since ? decodeChangeCursor(args.since) : 0;
      const caller = callerToday(principal);
      if (args.communeCode != null) assertCanSee(caller, args.communeCode);
      const types = args.types ? args.types.filter((t) => CHANGE_TYPES.includes(t)) : null;
      const rows = await repo.findEvents(
        db,
        {
          after,
          types,
          visibleCommunes: communesVisibleTo(caller),
          communeCode: args.communeCode ?? null,
          hiddenTypes: changeTypesHiddenFrom(caller),
          limit: first + 1,
        },
        communeCondition,
      );
      // Read after the page: retention only moves the horizon up, so a cursor at or above it now had nothing deleted
      // after it before or during the read. One below it would silently skip deleted events: refused instead. No
      // cursor reads from the oldest event kept (a new reader has missed nothing it had).
      const horizon = args.since ? await repo.retainedHorizon(db) : 0;
      if (after < horizon) {
        const days = settings.retentionDays;
        throw new DomainError(
          'CURSOR_EXPIRED',
          {
            en: `since: the events after this cursor up to event ${horizon} were deleted (events are kept ${days} days, and until delivered): read the records again, then follow the feed from retainedSince`,
            vi: `since: các sự kiện sau mã vị trí này đến sự kiện ${horizon} đã bị xóa (sự kiện được lưu ${days} ngày và đến khi chuyển xong): hãy đọc lại dữ liệu rồi theo dõi tiếp từ retainedSince`,
          },
          { field: 'since', retainedSince: encodeChangeCursor(horizon) },
        );
      }
      const page = rows.slice(0, first).map(toMessage);
      // An enrolment in an HIV program (Decree 20 art. 5.3, 5.8) says the person has HIV: only callers who see the
      // hiv field group get its events (docs/security.md "HIV status"). The cursor still moves past them.
      const seesHiv = sightOf(caller, 'hiv') === 'full';
      const nodes = page.filter((e) => seesHiv || !(typeof e.payload.programCode === 'string' && HIV_PROGRAMS.has(e.payload.programCode)));
      return { nodes, pageInfo: { hasNextPage: rows.length > first, endCursor: page.at(-1)?.cursor ?? null } };
    },

    /** Deliveries that failed every allowed attempt and wait for a replay (admin). */
    deadLetters(principal: Principal, args: { sink?: string | null; first?: number | null }) {
      assertRole(principal, 'admin');
      const first = args.first ?? 100;
      if (!Number.isInteger(first) || first < 1 || first > MAX_CHANGES_PAGE) {
        new Problems().add('first', `must be 1–${MAX_CHANGES_PAGE}`, `phải từ 1 đến ${MAX_CHANGES_PAGE}`).throwIfAny();
      }
      return repo.findDeadLetters(db, args.sink ?? null, first);
    },

    /**
     * Puts a sink's dead letters (all, or the events named) back in its queue with fresh attempts (admin, audited).
     * Returns the ids of the events replayed.
     */
    async replayDeadLetters(actor: AuditActor, args: { sink: string; eventIds?: readonly string[] | null }): Promise<string[]> {
      assertRole(actor.principal, 'admin');
      const p = new Problems();
      if (!SINK_NAME.test(args.sink)) p.add('sink', 'is not a sink name', 'không phải tên nơi nhận');
      const positions = args.eventIds?.map(Number) ?? null;
      if (positions?.some((n) => !Number.isSafeInteger(n) || n < 1)) p.add('eventIds', 'must be event ids', 'phải là mã sự kiện');
      p.throwIfAny();
      return auditedTransaction(db, actor, async (tx) => {
        const replayed = (await repo.replayDeadLetters(tx, args.sink, positions)).map(String);
        return {
          result: replayed,
          audit: [{ action: 'replayChangeDeliveries', entityType: 'ChangeSink', entityId: args.sink, after: { eventIds: replayed } }],
        };
      });
    },
  };
}
export type ChangesService = ReturnType<typeof createChangesService>;
