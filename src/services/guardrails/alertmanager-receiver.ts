import { createHash, timingSafeEqual } from 'node:crypto';
import { FlightdeckError } from '../../core/errors.ts';
import type { MetricLabels } from '../../telemetry/metric-labels.ts';
import type { AlertService } from './alert-service.ts';

/** One alert of an Alertmanager webhook (payload version 4), as far as the receiver reads it. */
export interface AlertmanagerAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
  fingerprint?: string;
}

export interface AlertmanagerReceiverDependencies {
  alerts: Pick<AlertService, 'notify'>;
  /** Maps the alerts' `workspace` label back to a workspace (the metrics' own labels). */
  labels: Pick<MetricLabels, 'workspaces'>;
  /** FLIGHTDECK_ALERTMANAGER_SECRET; without it the receiver refuses every request. */
  secret: string | undefined;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compares a presented secret with the expected one in constant time (over digests, any length). */
export function secretMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Turns Alertmanager's notifications into workspace notifications: an alert with a `workspace`
 * label goes to that workspace; one without (process down, queue backlog) goes to the instance's
 * first workspace, the one made at setup, whose owners run the installation. Each firing episode
 * (fingerprint and start) notifies once and its resolution once, however often Alertmanager repeats.
 */
export function createAlertmanagerReceiver(dependencies: AlertmanagerReceiverDependencies) {
  const { alerts, labels } = dependencies;
  return {
    /** Refuses a missing or wrong `Authorization: Bearer <secret>`, and everything when no secret is set. */
    authenticate(authorization: string | undefined): void {
      const secret = dependencies.secret;
      if (secret === undefined) {
        throw new FlightdeckError({
          code: 'alert_receiver_disabled',
          kind: 'not_found',
          message: 'The Alertmanager receiver is off: set FLIGHTDECK_ALERTMANAGER_SECRET to turn it on.',
        });
      }
      const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (!secretMatches(presented, secret)) {
        throw new FlightdeckError({
          code: 'alert_secret_invalid',
          kind: 'unauthenticated',
          message:
            "Send the receiver's shared secret as Authorization: Bearer <FLIGHTDECK_ALERTMANAGER_SECRET> (http_config.authorization in alertmanager.yml).",
        });
      }
    },

    async receive(batch: readonly AlertmanagerAlert[]): Promise<{ received: number; notified: number }> {
      const slugs = await labels.workspaces();
      const bySlug = new Map([...slugs].map(([workspaceId, slug]) => [slug, workspaceId]));
      // Maps iterate in insertion order, which workspaceSlugs made oldest first.
      const instanceWorkspace = slugs.keys().next().value;
      let notified = 0;
      for (const alert of batch) {
        const named = alert.labels.workspace;
        const workspaceId = (named ? bySlug.get(named) : undefined) ?? instanceWorkspace;
        if (workspaceId === undefined) continue;
        const alertName = alert.labels.alertname ?? 'alert';
        const resolved = alert.status === 'resolved';
        const summary = alert.annotations.summary ?? alertName;
        const episode =
          alert.fingerprint ?? createHash('sha256').update(JSON.stringify(alert.labels)).digest('hex');
        const sent = await alerts.notify(workspaceId, {
          kind: resolved ? 'alert_resolved' : 'alert_firing',
          dedupeKey: `alertmanager:${episode}:${alert.startsAt ?? ''}:${resolved ? 'resolved' : 'firing'}`,
          title: resolved ? `Resolved: ${summary}` : summary,
          body: alert.annotations.description ?? summary,
          data: {
            alertname: alertName,
            severity: alert.labels.severity ?? null,
            status: alert.status,
            labels: alert.labels,
            annotations: alert.annotations,
            runbookUrl: alert.annotations.runbook_url ?? null,
            startsAt: alert.startsAt ?? null,
            endsAt: alert.endsAt ?? null,
            generatorUrl: alert.generatorURL ?? null,
          },
        });
        if (sent) notified++;
      }
      return { received: batch.length, notified };
    },
  };
}

export type AlertmanagerReceiver = ReturnType<typeof createAlertmanagerReceiver>;
