import { Alert, Button, Group, NumberInput, Paper, Stack, Text, Title } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { useAgentBudget, useSetAgentBudget } from '../hooks/use-guardrails.ts';
import { formatUsd } from '../lib/format.ts';
import { ErrorAlert } from './error-alert.tsx';

/** An agent's own monthly limit, inside the workspace's, with what it spent this month. */
export function AgentBudgetForm(props: { workspaceId: string; agentId: string }) {
  const [limit, setLimit] = useState<number | string>('');
  const current = useAgentBudget(props.workspaceId, props.agentId);
  const setBudget = useSetAgentBudget(props.workspaceId, props.agentId);
  const currentLimit = current.data?.monthlyLimitUsd;
  useEffect(() => {
    // Start from the stored limit once it arrives.
    if (currentLimit !== undefined) setLimit(currentLimit ?? '');
  }, [currentLimit]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBudget.mutate(limit === '' ? null : Number(limit));
  };
  const saved = setBudget.data;
  return (
    <Paper withBorder p="md">
      <form onSubmit={submit} aria-label="Agent monthly limit">
        <Stack gap="sm">
          <Title order={4}>Monthly limit</Title>
          <Text size="sm" c="dimmed">
            Optional: caps this agent's live spend each month, within the workspace budget. Save it empty to
            remove the agent's own limit.
          </Text>
          <Group align="flex-end" wrap="wrap">
            <NumberInput
              label="Agent monthly limit (USD)"
              placeholder="no agent limit"
              min={0}
              decimalScale={9}
              w={220}
              value={limit}
              onChange={setLimit}
            />
            <Button type="submit" variant="light" loading={setBudget.isPending}>
              Save limit
            </Button>
          </Group>
          {current.data ? (
            <Text size="sm" data-testid="agent-budget-spent">
              Spent this month: {formatUsd(current.data.spentUsd)}
              {current.data.reservedUsd > 0
                ? ` (${formatUsd(current.data.reservedUsd)} held by runs in progress)`
                : ''}
            </Text>
          ) : null}
          <ErrorAlert error={setBudget.error} title="Could not set the limit" />
          {saved ? (
            <Alert color="green" data-testid="agent-budget-saved">
              {saved.monthlyLimitUsd === null
                ? 'This agent has no limit of its own now.'
                : `This agent may spend up to ${formatUsd(saved.monthlyLimitUsd)} a month.`}
            </Alert>
          ) : null}
        </Stack>
      </form>
    </Paper>
  );
}
