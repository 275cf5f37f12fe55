/**
 * DCI `notify` as a sink of the change-event dispatcher (docs/integration.md, "Change events" and "DCI Social
 * Registry API"): each committed change event that a DCI event type covers is sent to every active subscription of
 * that type, one notify per person it concerns. Delivery is at least once: when any subscription asks for another
 * attempt (its partner did not answer, or answered with an error), the dispatcher retries the whole event, with
 * backoff, and a partner that did get it drops the repeat by the notify's `reference_id`, which is stable.
 */
import type { ChangeType } from '../../core/change-types.js';
import type { ChangeEventMessage, ChangeSink } from '../changes/changes.service.js';
import type { DciEventType, DciService } from './dci.service.js';

/** Which DCI registry event each change is (a household's own registration concerns nobody yet: no notify). */
export const DCI_EVENT_OF: Partial<Record<ChangeType, DciEventType>> = {
  PERSON_REGISTERED: 'REGISTER',
  DEATH_RECORDED: 'DEATH',
  DEATH_CORRECTED: 'DEATH',
  RESIDENCE_CHANGED: 'RESIDENCE_CHANGE',
  HOUSEHOLD_CHANGED: 'HOUSEHOLD_CHANGE',
  POVERTY_CLASSIFICATION_CHANGED: 'POVERTY_CLASSIFICATION_CHANGE',
  ENROLMENT_CHANGED: 'ENROLMENT_CHANGE',
};

export function dciNotifySink(dci: DciService): ChangeSink {
  return {
    name: 'dci-notify',
    async deliver(event: ChangeEventMessage) {
      const type = DCI_EVENT_OF[event.type];
      if (!type) return;
      const subscriptions = await dci.subscriptionsFor({ type });
      const failed: string[] = [];
      for (const personId of event.personIds) {
        // One notify per person; the id stays the same on every attempt.
        const id = event.personIds.length === 1 ? `an-sinh-${event.id}` : `an-sinh-${event.id}-${personId}`;
        for (const subscription of subscriptions) {
          const result = await dci.deliverNotify(subscription, { id, type, personId, occurredAt: event.occurredAt });
          if (!result.delivered && 'retry' in result) failed.push(`${subscription.code}: ${result.reason}`);
        }
      }
      if (failed.length > 0) throw new Error(`DCI notify to retry: ${failed.join('; ')}`);
    },
  };
}
