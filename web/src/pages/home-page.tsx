import {
  Badge,
  Group,
  Paper,
  Progress,
  RingProgress,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  ThemeIcon,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import type { WorkspaceOverview } from '../api/overview-api.ts';
import type { Run } from '../api/workflow-types.ts';
import { ErrorAlert } from '../components/error-alert.tsx';
import { RunStatusBadge } from '../components/run-status-badge.tsx';
import { useOverview } from '../hooks/use-overview.ts';
import { useRuns } from '../hooks/use-runs.ts';
import { useWorkflows } from '../hooks/use-workflows.ts';
import { formatCost, formatDateTime, formatUsd } from '../lib/format.ts';
import { onboardingChecklist } from '../lib/onboarding-checklist.ts';
import { Link } from '../router/link.tsx';

/** `/w/:ws/home`: what the workspace holds and spends, the first steps still to take, recent runs and failures. */
export function HomePage(props: { workspaceId: string }) {
  const { workspaceId } = props;
  const overview = useOverview(workspaceId);
  const base = `/w/${workspaceId}`;
  return (
    <Stack>
      <Title order={2}>Home</Title>
      <ErrorAlert error={overview.error} />
      {overview.data ? (
        <>
          <Checklist overview={overview.data} base={base} />
          <Counts overview={overview.data} base={base} />
        </>
      ) : overview.isPending ? (
        <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} role="status" aria-busy="true" aria-label="Loading">
          {Array.from({ length: 6 }, (_, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
            <Skeleton key={index} height={84} />
          ))}
        </SimpleGrid>
      ) : null}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <RecentRuns workspaceId={workspaceId} title="Recent runs" testId="recent-runs" />
        <RecentRuns
          workspaceId={workspaceId}
          title="Recent failures"
          status="failed"
          testId="recent-failures"
        />
      </SimpleGrid>
    </Stack>
  );
}

function Checklist(props: { overview: WorkspaceOverview; base: string }) {
  const items = onboardingChecklist(props.overview);
  const done = items.filter((item) => item.done).length;
  return (
    <Paper withBorder p="md" data-testid="onboarding-checklist">
      <Group justify="space-between" mb="sm" wrap="nowrap">
        <div>
          <Title order={3} size="h4">
            {done === items.length ? 'All set up' : 'Get started'}
          </Title>
          <Text size="sm" c="dimmed">
            {done} of {items.length} done — each ticks by itself once the workspace has it.
          </Text>
        </div>
        <RingProgress
          size={56}
          thickness={6}
          sections={[{ value: (done / items.length) * 100, color: 'indigo' }]}
          role="img"
          aria-label={`${done} of ${items.length} first steps done`}
        />
      </Group>
      <Stack gap="xs">
        {items.map((item) => (
          <Group
            key={item.id}
            gap="sm"
            wrap="nowrap"
            align="flex-start"
            data-testid={`checklist-${item.id}`}
            data-done={String(item.done)}
          >
            <ThemeIcon
              radius="xl"
              size="sm"
              color={item.done ? 'green' : 'gray'}
              variant={item.done ? 'filled' : 'light'}
              aria-hidden
            >
              {item.done ? '✓' : ''}
            </ThemeIcon>
            <div>
              {item.done ? (
                <Text size="sm" fw={600} td="line-through" c="dimmed">
                  {item.label} <VisuallyHidden>(done)</VisuallyHidden>
                </Text>
              ) : (
                <Link href={`${props.base}/${item.path}`} size="sm" fw={600}>
                  {item.label}
                </Link>
              )}
              <Text size="xs" c="dimmed">
                {item.hint}
              </Text>
            </div>
          </Group>
        ))}
      </Stack>
    </Paper>
  );
}

function Figure(props: { label: string; value: string; href: string; testId: string; note?: string }) {
  return (
    <Paper withBorder p="sm">
      <Link href={props.href} size="xs" c="dimmed" tt="uppercase" fw={600}>
        {props.label}
      </Link>
      <Text fw={700} size="xl" data-testid={props.testId}>
        {props.value}
      </Text>
      {props.note ? (
        <Text size="xs" c="dimmed">
          {props.note}
        </Text>
      ) : null}
    </Paper>
  );
}

function Counts(props: { overview: WorkspaceOverview; base: string }) {
  const { overview, base } = props;
  const { spend } = overview;
  const share = spend.limitUsd ? Math.min(100, (spend.spentUsd / spend.limitUsd) * 100) : null;
  return (
    <>
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }} data-testid="dashboard-counts">
        <Figure
          label="Agents"
          value={String(overview.agents)}
          href={`${base}/agents`}
          testId="count-agents"
        />
        <Figure
          label="Provider keys"
          value={String(overview.providerKeys)}
          href={`${base}/settings/keys`}
          testId="count-keys"
        />
        <Figure
          label="Workflows"
          value={String(overview.workflows)}
          href={`${base}/workflows`}
          testId="count-workflows"
        />
        <Figure
          label="Runs, last 7 days"
          value={String(overview.runsSince)}
          href={`${base}/runs`}
          testId="count-runs"
          note={overview.failedRunsSince > 0 ? `${overview.failedRunsSince} failed` : undefined}
        />
        <Figure
          label="Pending approvals"
          value={String(overview.pendingApprovals)}
          href={`${base}/approvals`}
          testId="count-approvals"
        />
      </SimpleGrid>
      <Paper withBorder p="sm" data-testid="dashboard-spend">
        <Group justify="space-between" wrap="wrap">
          <Link href={`${base}/usage`} size="xs" c="dimmed" tt="uppercase" fw={600}>
            Spend this month
          </Link>
          <Text size="sm">
            <Text span fw={700} data-testid="spend-this-month">
              {formatUsd(spend.spentUsd)}
            </Text>{' '}
            {spend.limitUsd === null ? '· no monthly budget set' : `of ${formatUsd(spend.limitUsd)} budget`}
            {spend.reservedUsd > 0 ? ` · ${formatUsd(spend.reservedUsd)} held by runs in progress` : ''}
          </Text>
        </Group>
        {share !== null ? (
          <Progress
            mt="xs"
            value={share}
            color={share >= 100 ? 'red' : share >= 80 ? 'orange' : 'blue'}
            aria-label={`${share.toFixed(1)}% of the monthly budget spent`}
          />
        ) : null}
      </Paper>
    </>
  );
}

function RecentRuns(props: { workspaceId: string; title: string; status?: 'failed'; testId: string }) {
  const runs = useRuns(props.workspaceId, { limit: 5, status: props.status });
  const workflows = useWorkflows(props.workspaceId);
  const names = new Map((workflows.data?.items ?? []).map((workflow) => [workflow.id, workflow.name]));
  const items = runs.data?.items ?? [];
  const nameOf = (run: Run) => names.get(run.workflowId) ?? 'Work session';
  return (
    <Paper withBorder p="md" data-testid={props.testId}>
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h4">
          {props.title}
        </Title>
        <Link href={`/w/${props.workspaceId}/runs${props.status ? `?status=${props.status}` : ''}`} size="sm">
          All
        </Link>
      </Group>
      {runs.isPending ? (
        <Skeleton height={120} />
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed">
          {props.status ? 'No failed runs. ' : 'No runs yet. Start one from a workflow or an agent with Run.'}
        </Text>
      ) : (
        <Table>
          <Table.Tbody>
            {items.map((run) => (
              <Table.Tr key={run.id}>
                <Table.Td>
                  <Link
                    href={`/w/${props.workspaceId}/runs/${run.id}`}
                    size="sm"
                    aria-label={`Open run of ${nameOf(run)} from ${formatDateTime(run.createdAt)}`}
                  >
                    {nameOf(run)}
                  </Link>
                  <Text size="xs" c="dimmed">
                    {formatDateTime(run.createdAt)}
                    {run.error ? ` · ${run.error.code}` : ''}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <RunStatusBadge status={run.status} />
                  {run.mode === 'mock' ? (
                    <Badge size="xs" variant="outline" color="grape" ml={4}>
                      mock
                    </Badge>
                  ) : null}
                </Table.Td>
                <Table.Td>{run.mode === 'mock' ? '—' : formatCost(run.costUsd)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}
