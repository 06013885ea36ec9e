/**
 * The states of a run. Apart from the schemas so the browser code can use
 * them without bundling the schema library.
 */
export const RUN_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'lost'] as const;
export type RunState = (typeof RUN_STATES)[number];
export const FINAL_STATES: readonly RunState[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'lost'];
export const isFinal = (s: RunState) => FINAL_STATES.includes(s);
