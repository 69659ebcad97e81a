import { budgetPeriodLabel, budgetPeriodStart, formatUsd } from '../../core/budget-period.ts';
import type { Clock } from '../../core/clock.ts';
import { newId } from '../../core/ids.ts';
import type { Repositories } from '../../store/repositories/index.ts';
import { createSilentLogger, type Logger } from '../../telemetry/logger.ts';
import { alertMessage } from '../email/email-messages.ts';
import { disabledEmailSender, type EmailSender } from '../email/email-sender.ts';
import { completeSettings } from '../identity/workspace-settings.ts';
import type { WebhookDispatcher } from './webhook-dispatcher.ts';

interface AlertNotice {
  kind: string;
  title: string;
  body: string;
}

/**
 * Budget alerts: once per threshold per month, in the app, to the workspace's webhook and by
 * email to the owners and admins (approval requests: to those who may decide) whose address is
 * verified — an unverified address may belong to someone else.
 */
export function createAlertService(dependencies: {
  repositories: Repositories;
  clock: Clock;
  webhooks: WebhookDispatcher;
  email?: EmailSender;
  publicUrl?: string;
  logger?: Logger;
}) {
  const { repositories, clock, webhooks } = dependencies;
  const email = dependencies.email ?? disabledEmailSender;
  const logger = dependencies.logger ?? createSilentLogger();
  const inFlight = new Set<Promise<void>>();

  async function sendEmails(workspaceId: string, notice: AlertNotice): Promise<void> {
    const workspace = await repositories.workspaces.findById(workspaceId);
    if (!workspace) return;
    const roles = notice.kind.startsWith('approval.')
      ? ['owner', ...completeSettings(workspace.settings).approverRoles]
      : ['owner', 'admin'];
    const recipients = await repositories.workspaces.listVerifiedEmails(workspaceId, roles);
    const consoleUrl = `${dependencies.publicUrl ?? ''}/w/${workspaceId}/home`;
    for (const to of recipients) {
      await email.send(
        alertMessage({
          to,
          workspaceName: workspace.name,
          title: notice.title,
          body: notice.body,
          consoleUrl,
        }),
      );
    }
  }

  /**
   * Emails go out beside the request, never in its way: a slow or failing SMTP server must not
   * hold up the execution that crossed a threshold, nor fail it.
   */
  function emailInBackground(workspaceId: string, notice: AlertNotice): void {
    if (!email.configured) return;
    const sending = sendEmails(workspaceId, notice)
      .catch((error: unknown) => logger.warn({ err: error, workspaceId }, 'alert email not sent'))
      .finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  }

  return {
    /** Waits for alert emails already started (shutdown and tests). */
    async emailsSettled(): Promise<void> {
      await Promise.all([...inFlight]);
    },

    /**
     * One notification in the app and, when the workspace has an alert webhook, a signed delivery
     * of `event`. The dedupe key makes it fire once, whichever node gets there first.
     */
    async notify(
      workspaceId: string,
      notice: { kind: string; dedupeKey: string; title: string; body: string; data: Record<string, unknown> },
    ): Promise<boolean> {
      const now = clock.now();
      const notification = await repositories.notifications.insertOnce({
        id: newId(now.getTime()),
        workspaceId,
        ...notice,
        createdAt: now,
      });
      if (!notification) return false;
      emailInBackground(workspaceId, notice);
      const workspace = await repositories.workspaces.findById(workspaceId);
      const webhookUrl = workspace ? completeSettings(workspace.settings).alertWebhookUrl : null;
      if (webhookUrl) {
        await webhooks.enqueue(
          workspaceId,
          webhookUrl,
          { event: notice.kind, workspaceId, ...notice.data, createdAt: now.toISOString() },
          notification.id,
        );
      }
      return true;
    },

    async checkBudget(workspaceId: string): Promise<number> {
      const workspace = await repositories.workspaces.findById(workspaceId);
      if (!workspace) return 0;
      const settings = completeSettings(workspace.settings);
      const limit = settings.monthlyBudgetUsd;
      if (limit === null || limit <= 0) return 0;
      const now = clock.now();
      const { spentUsd } = await repositories.budgets.period(
        workspaceId,
        'workspace',
        budgetPeriodStart(now),
      );
      const percent = (spentUsd / limit) * 100;
      const period = budgetPeriodLabel(now);
      let fired = 0;
      for (const threshold of settings.alertThresholds) {
        if (percent < threshold) continue;
        // The unique dedupe key makes this fire once, whichever node gets there first.
        const notification = await repositories.notifications.insertOnce({
          id: newId(now.getTime()),
          workspaceId,
          kind: 'budget_threshold',
          dedupeKey: `budget:workspace:${period}:${threshold}`,
          title: `${threshold}% of the monthly budget used`,
          body: `This workspace has spent ${formatUsd(spentUsd)} of its ${formatUsd(limit)} budget for ${period}.`,
          data: { threshold, spentUsd, limitUsd: limit, period },
          createdAt: now,
        });
        if (!notification) continue;
        fired++;
        emailInBackground(workspaceId, notification);
        if (settings.alertWebhookUrl) {
          await webhooks.enqueue(
            workspaceId,
            settings.alertWebhookUrl,
            {
              event: 'budget.threshold_reached',
              workspaceId,
              threshold,
              spentUsd,
              limitUsd: limit,
              period,
              createdAt: now.toISOString(),
            },
            notification.id,
          );
        }
      }
      // Sent by the dispatcher's poll (every second on each node), not here: a slow receiver must
      // never hold up the execution that crossed the threshold.
      return fired;
    },
  };
}

export type AlertService = ReturnType<typeof createAlertService>;
