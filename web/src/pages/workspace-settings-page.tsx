import { Alert, Button, Group, NumberInput, Paper, Stack, TagsInput, TextInput, Title } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import type { Workspace } from '../api/api-types.ts';
import { fieldErrorsOf } from '../api/field-errors.ts';
import { AlertWebhookPanel } from '../components/alert-webhook-panel.tsx';
import { DeleteWorkspacePanel } from '../components/delete-workspace-panel.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { usePermission } from '../hooks/use-permission.ts';
import { useUpdateWorkspace, useWorkspace } from '../hooks/use-settings-resources.ts';

/** The settings this form edits; their problems show under their fields (pointers `/settings/<field>`). */
const settingsFields = [
  'rateLimitPerMinute',
  'monthlyBudgetUsd',
  'alertThresholds',
  'alertWebhookUrl',
] as const;
const settingsLabels = {
  rateLimitPerMinute: 'Rate limit',
  monthlyBudgetUsd: 'Monthly budget',
  alertThresholds: 'Alert thresholds',
  alertWebhookUrl: 'Alert webhook URL',
};

interface Draft {
  name: string;
  rateLimitPerMinute: number | string;
  monthlyBudgetUsd: number | string;
  alertThresholds: string[];
  alertWebhookUrl: string;
}

function draftOf(workspace: Workspace): Draft {
  return {
    name: workspace.name,
    rateLimitPerMinute: workspace.settings.rateLimitPerMinute,
    monthlyBudgetUsd: workspace.settings.monthlyBudgetUsd ?? '',
    alertThresholds: workspace.settings.alertThresholds.map(String),
    alertWebhookUrl: workspace.settings.alertWebhookUrl ?? '',
  };
}

export function WorkspaceSettingsPage(props: { workspaceId: string }) {
  const workspace = useWorkspace(props.workspaceId);
  const update = useUpdateWorkspace(props.workspaceId);
  const canManage = usePermission(props.workspaceId, 'manage_settings');
  const canDelete = usePermission(props.workspaceId, 'delete_workspace');
  const [draft, setDraft] = useState<Draft | null>(null);
  useEffect(() => {
    if (workspace.data) setDraft(draftOf(workspace.data));
  }, [workspace.data]);

  const errors = fieldErrorsOf(update.error, settingsFields, settingsLabels, '/settings').fields;
  /** A user's edit: the last save's "saved" or problem is no longer what the form shows. */
  const edit = (next: Draft) => {
    if (!update.isIdle && !update.isPending) update.reset();
    setDraft(next);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!draft) return;
    update.mutate({
      name: draft.name,
      settings: {
        rateLimitPerMinute: Number(draft.rateLimitPerMinute),
        monthlyBudgetUsd: draft.monthlyBudgetUsd === '' ? null : Number(draft.monthlyBudgetUsd),
        // The server validates the numbers; sending what was typed lets it name the bad one.
        alertThresholds: draft.alertThresholds.map(Number),
        alertWebhookUrl: draft.alertWebhookUrl.trim() === '' ? null : draft.alertWebhookUrl.trim(),
      },
    });
  };

  return (
    <Stack>
      <Title order={2}>Workspace settings</Title>
      <ErrorAlert error={workspace.error} />
      {!draft ? (
        <TableSkeleton rows={4} />
      ) : (
        <Paper withBorder p="md" maw={640}>
          <form onSubmit={submit} aria-label="Workspace settings">
            <Stack>
              <TextInput
                label="Name"
                required
                value={draft.name}
                onChange={(event) => edit({ ...draft, name: event.currentTarget.value })}
              />
              <NumberInput
                label="Rate limit (requests per minute)"
                error={errors.rateLimitPerMinute}
                min={1}
                value={draft.rateLimitPerMinute}
                onChange={(value) => edit({ ...draft, rateLimitPerMinute: value })}
              />
              <NumberInput
                label="Monthly budget (USD)"
                error={errors.monthlyBudgetUsd}
                description="Empty: no limit."
                min={0}
                decimalScale={9}
                value={draft.monthlyBudgetUsd}
                onChange={(value) => edit({ ...draft, monthlyBudgetUsd: value })}
              />
              <TagsInput
                label="Alert thresholds (% of the budget)"
                error={errors.alertThresholds}
                description="Press Enter after each number."
                value={draft.alertThresholds}
                onChange={(value) => edit({ ...draft, alertThresholds: value })}
              />
              <TextInput
                label="Alert webhook URL"
                error={errors.alertWebhookUrl}
                placeholder="https://hooks.slack.com/…"
                value={draft.alertWebhookUrl}
                onChange={(event) => edit({ ...draft, alertWebhookUrl: event.currentTarget.value })}
              />
              <ErrorAlert
                error={update.error}
                title="Could not save the settings"
                fields={settingsFields}
                pointerPrefix="/settings"
              />
              {update.isSuccess ? <Alert color="green">Settings saved.</Alert> : null}
              <Group justify="flex-end">
                <Button type="submit" loading={update.isPending}>
                  Save settings
                </Button>
              </Group>
            </Stack>
          </form>
        </Paper>
      )}
      {canManage ? (
        <Stack maw={960}>
          <AlertWebhookPanel workspaceId={props.workspaceId} />
        </Stack>
      ) : null}
      {canDelete && workspace.data ? (
        <DeleteWorkspacePanel workspaceId={props.workspaceId} workspaceName={workspace.data.name} />
      ) : null}
    </Stack>
  );
}
