// Kept for importers not yet moved to the one clock in src/core/clock.ts.
export { type Clock, systemClock } from '../../core/clock.ts';
