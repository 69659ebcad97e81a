import { backoffDelay } from '../../core/backoff-delay.ts';
import type { Clock } from '../../core/clock.ts';
import { FlightdeckError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Keyring } from '../../security/keyring.ts';
import { randomSecret } from '../../security/secret-tokens.ts';
import { signWebhook, webhookSignatureHeader } from '../../security/webhook-signature.ts';
import type { Database } from '../../store/database.ts';
import { inTransaction, type Repositories, type WebhookDeliveryRow } from '../../store/repositories/index.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { AuditActor, AuditLog } from '../audit/audit-log.ts';

export const signingSecretName = 'alert-webhook-signing';
const secretContext = (workspaceId: string) => ({
  workspaceId,
  secretId: signingSecretName,
  purpose: 'workspace-secret',
});

export interface WebhookDispatcherSettings {
  maxAttempts: number;
  /** Delay before retry n: full jitter under base × 2^(n-1), capped (`backoffDelay`). */
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  /** Uniform in [0, 1): the jitter, so deliveries that failed together do not all come back together. */
  random: () => number;
}

export const defaultWebhookDispatcherSettings: WebhookDispatcherSettings = {
  maxAttempts: 6,
  baseDelayMs: 2_000,
  maxDelayMs: 10 * 60_000,
  timeoutMs: 10_000,
  random: Math.random,
};

/**
 * Delivers alert webhooks: signed with the workspace's secret (HMAC-SHA256), retried with
 * exponential backoff, each attempt recorded. Deliveries live in the database, so any node
 * sends them and a restart loses none.
 */
export function createWebhookDispatcher(dependencies: {
  repositories: Repositories;
  /** With both, a rotation of the signing secret commits with its audit event. */
  database?: Database;
  audit?: AuditLog;
  keyring: Keyring;
  clock: Clock;
  /** A fetch that applies the SSRF guard: webhook URLs are user input. */
  fetch: typeof globalThis.fetch;
  logger: Logger;
  settings?: Partial<WebhookDispatcherSettings>;
}) {
  const { repositories, keyring, clock, logger } = dependencies;
  const settings = { ...defaultWebhookDispatcherSettings, ...dependencies.settings };
  let running: Promise<number> | null = null;

  async function signingSecret(workspaceId: string): Promise<string> {
    const stored = await repositories.notifications.findSecret(workspaceId, signingSecretName);
    const envelope =
      stored ??
      (await repositories.notifications.insertSecretIfAbsent(
        workspaceId,
        signingSecretName,
        keyring.encrypt(`whsec_${randomSecret()}`, secretContext(workspaceId)),
      ));
    return keyring.decrypt(envelope, secretContext(workspaceId));
  }

  async function attempt(delivery: WebhookDeliveryRow): Promise<void> {
    const attempts = delivery.attempts + 1;
    const body = JSON.stringify({ id: delivery.id, ...delivery.payload });
    const now = clock.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let permanent = false;
    try {
      const secret = await signingSecret(delivery.workspaceId);
      const response = await dependencies.fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Flightdeck-Webhooks/1',
          'flightdeck-delivery': delivery.id,
          'flightdeck-event': String(delivery.payload.event ?? 'notification'),
          [webhookSignatureHeader]: signWebhook(secret, Math.floor(now.getTime() / 1000), body),
        },
        body,
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      await response.body?.cancel();
      statusCode = response.status;
      if (response.ok) {
        await repositories.notifications.recordAttempt(delivery.id, {
          status: 'delivered',
          attempts,
          nextAttemptAt: now,
          statusCode,
          error: null,
          deliveredAt: clock.now(),
        });
        return;
      }
      error = `HTTP ${response.status}`;
    } catch (failure) {
      error = failure instanceof Error ? failure.message.slice(0, 300) : 'delivery failed';
      // The SSRF guard's answer does not change on a retry: record it once and stop.
      permanent = FlightdeckError.isInstance(failure) && failure.code === 'provider_url_refused';
    }
    const giveUp = permanent || attempts >= settings.maxAttempts;
    const delay = backoffDelay({
      retryNumber: attempts,
      baseDelayMs: settings.baseDelayMs,
      maxDelayMs: settings.maxDelayMs,
      random: settings.random,
    });
    await repositories.notifications.recordAttempt(delivery.id, {
      status: giveUp ? 'failed' : 'pending',
      attempts,
      nextAttemptAt: new Date(clock.now().getTime() + delay),
      statusCode,
      error,
      deliveredAt: null,
    });
    logger.warn({ deliveryId: delivery.id, attempts, statusCode, giveUp }, 'webhook delivery failed');
  }

  async function deliverDue(): Promise<number> {
    const now = clock.now();
    const due = await repositories.notifications.claimDue(now, new Date(now.getTime() + 60_000), 20);
    for (const delivery of due) await attempt(delivery);
    return due.length;
  }

  return {
    signingSecret,

    /**
     * Replaces the signing secret and returns it: the only time it is shown. With an actor, the
     * rotation is audited in the same transaction (no rotation without its event).
     */
    async rotateSigningSecret(workspaceId: string, actor?: AuditActor): Promise<string> {
      const secret = `whsec_${randomSecret()}`;
      const envelope = keyring.encrypt(secret, secretContext(workspaceId));
      const rotate = async (scoped: Repositories) => {
        await scoped.notifications.replaceSecret(workspaceId, signingSecretName, envelope);
        if (actor && dependencies.audit) {
          await dependencies.audit.record(
            workspaceId,
            actor,
            'workspace.settings_changed',
            { type: 'workspace', id: workspaceId },
            { rotated: 'alert webhook signing secret' },
            scoped,
          );
        }
      };
      if (dependencies.database) await inTransaction(dependencies.database, rotate);
      else await rotate(repositories);
      return secret;
    },

    async enqueue(
      workspaceId: string,
      url: string,
      payload: Record<string, unknown>,
      notificationId: string | null,
    ) {
      await repositories.notifications.insertDelivery({
        id: newId(),
        workspaceId,
        notificationId,
        url,
        payload,
        status: 'pending',
        nextAttemptAt: clock.now(),
      });
    },

    /** Sends what is due now; concurrent calls in one process share one pass. */
    deliverDue(): Promise<number> {
      running ??= deliverDue().finally(() => {
        running = null;
      });
      return running;
    },

    /** Polls for due deliveries until stopped (unref'd: it never keeps the process alive). */
    start(intervalMs = 1_000): { stop(): void } {
      const timer = setInterval(() => {
        void this.deliverDue().catch((error: unknown) =>
          logger.warn({ err: error }, 'webhook dispatch pass failed'),
        );
      }, intervalMs);
      timer.unref();
      return { stop: () => clearInterval(timer) };
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
