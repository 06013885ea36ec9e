/**
 * The events Switchyard tells people and other systems about, and which of
 * them a page or a button may subscribe to. The names are part of the
 * webhook contract (docs: README, "Notifications"): add, never rename.
 */
export const RUN_EVENTS = ['run.succeeded', 'run.failed', 'run.cancelled', 'run.timed_out', 'run.lost'] as const;
export const PAGE_EVENTS = ['values.saved', 'values.restored', 'publication.failed', 'schedule.missed'] as const;
/** Sent by an admin from the Deliveries page to try a target; never subscribed to. */
export const TEST_EVENT = 'notification.test';

export const NOTIFY_EVENTS = [...RUN_EVENTS, ...PAGE_EVENTS] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
export type EventType = NotifyEvent | typeof TEST_EVENT;

/** Events a button's own `notify:` may name: those about its runs and its schedule. */
export const BUTTON_EVENTS: readonly NotifyEvent[] = [...RUN_EVENTS, 'schedule.missed'];

/** The event a run's final state makes, if any. */
export function runEventOf(state: string): NotifyEvent | undefined {
  const type = `run.${state}`;
  return (RUN_EVENTS as readonly string[]).includes(type) ? (type as NotifyEvent) : undefined;
}

/** Version of the webhook body's shape; bumped only for a change that could break a receiver. */
export const EVENT_SCHEMA = 'switchyard.event/v1';
