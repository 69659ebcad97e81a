import { Alert, Badge, Code, Drawer, Group, Stack, Table, Text, Title } from '@mantine/core';
import type { StepRun } from '../api/workflow-types.ts';
import { useExecution } from '../hooks/use-executions.ts';
import { formatCost, formatDateTime, formatJson, formatMs } from '../lib/format.ts';
import { runErrorHint } from '../lib/run-error-hints.ts';
import { formatDuration } from '../lib/run-timing.ts';
import { Link } from '../router/link.tsx';
import { RunStatusBadge } from './run-status-badge.tsx';

/** One step of a run: rendered input, output, cost, attempts, the error with what to do, its executions. */
export function StepRunDrawer(props: {
  workspaceId: string;
  step: StepRun | null;
  mock: boolean;
  onClose: () => void;
}) {
  const { step } = props;
  const execution = useExecution(props.workspaceId, step?.executionId ?? null);
  const record = execution.data;
  const hint = step?.error ? runErrorHint(step.error.code) : null;
  return (
    <Drawer
      opened={step !== null}
      onClose={props.onClose}
      position="right"
      size="lg"
      title={<Title order={4}>Step {step?.stepId}</Title>}
    >
      {step ? (
        <Stack data-testid="step-drawer">
          <Group gap="xs">
            <RunStatusBadge status={step.status} />
            <Badge variant="outline">{step.kind}</Badge>
            {props.mock ? (
              <Badge variant="outline" color="grape">
                mock
              </Badge>
            ) : null}
          </Group>
          <Table>
            <Table.Tbody>
              <Table.Tr>
                <Table.Td>Cost</Table.Td>
                <Table.Td data-testid="step-cost">
                  {props.mock ? '$0.00 (mock)' : formatCost(step.costUsd)}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Td>Attempts</Table.Td>
                <Table.Td>{step.attempts}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Td>Started / finished</Table.Td>
                <Table.Td>
                  {formatDateTime(step.startedAt)} / {formatDateTime(step.finishedAt)}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Td>Duration</Table.Td>
                <Table.Td>{formatDuration(step.startedAt, step.finishedAt)}</Table.Td>
              </Table.Tr>
              {record ? (
                <>
                  <Table.Tr>
                    <Table.Td>Provider / model</Table.Td>
                    <Table.Td>
                      {record.provider ?? '—'} / {record.model ?? '—'}
                    </Table.Td>
                  </Table.Tr>
                  <Table.Tr>
                    <Table.Td>Tokens in / out</Table.Td>
                    <Table.Td>
                      {record.usage.inputTokens} / {record.usage.outputTokens}
                    </Table.Td>
                  </Table.Tr>
                  <Table.Tr>
                    <Table.Td>Latency</Table.Td>
                    <Table.Td>{formatMs(record.latencyMs)}</Table.Td>
                  </Table.Tr>
                </>
              ) : null}
            </Table.Tbody>
          </Table>
          {step.error ? (
            <Alert color="red" title={step.error.code} role="alert" data-testid="step-error">
              <Text size="sm">{step.error.message}</Text>
              {hint ? (
                <Text size="sm" mt="xs" fw={500}>
                  {hint}
                </Text>
              ) : null}
            </Alert>
          ) : null}
          {step.executionIds.length > 0 ? (
            <Stack gap={2}>
              <Text fw={600}>Execution{step.executionIds.length > 1 ? 's (one per attempt)' : ''}</Text>
              {step.executionIds.map((id) => (
                <Link key={id} href={`/w/${props.workspaceId}/executions?execution=${id}`} size="sm">
                  {id}
                </Link>
              ))}
            </Stack>
          ) : null}
          <Text fw={600}>Input (as rendered)</Text>
          <Code block data-testid="step-input">
            {step.input === null ? '—' : formatJson(step.input)}
          </Code>
          <Text fw={600}>Output</Text>
          <Code block data-testid="step-output">
            {step.output === null ? 'no output' : formatJson(step.output)}
          </Code>
        </Stack>
      ) : null}
    </Drawer>
  );
}
