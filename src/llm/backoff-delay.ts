// The one backoff lives in core (stores and services use it too); kept for decide-retry.ts's import.
export { backoffDelay } from '../core/backoff-delay.ts';
