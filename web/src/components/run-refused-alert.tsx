import { Alert, Text } from '@mantine/core';
import { ApiError } from '../api/api-error.ts';
import { formatDuration } from '../lib/format.ts';
import { Link } from '../router/link.tsx';
import { ErrorAlert } from './error-alert.tsx';

function retryHint(seconds: number | null): string {
  if (seconds === null) return 'Try again in a minute.';
  if (seconds <= 1) return 'Try again in a second.';
  return `Try again in ${formatDuration(seconds)}.`;
}

/** Why a run was refused: the budget and the rate limit get their own explanation; anything else as the API said it. */
export function RunRefusedAlert(props: { error: unknown; workspaceId: string }) {
  const error = props.error;
  if (ApiError.isInstance(error) && error.code === 'budget_exceeded') {
    return (
      <Alert color="orange" title="Monthly budget reached" role="alert" data-testid="run-refused-budget">
        <Text size="sm">{error.message}</Text>
        <Text size="sm" mt="xs">
          <Link href={`/w/${props.workspaceId}/usage`} size="sm">
            See this month's usage
          </Link>
        </Text>
      </Alert>
    );
  }
  if (ApiError.isInstance(error) && error.code === 'rate_limited') {
    return (
      <Alert color="yellow" title="Too many requests" role="alert" data-testid="run-refused-rate-limit">
        <Text size="sm">{error.message}</Text>
        <Text size="sm" mt="xs" fw={600} data-testid="retry-after">
          {retryHint(error.retryAfterSeconds)}
        </Text>
      </Alert>
    );
  }
  return <ErrorAlert error={error} title="The run was refused" />;
}
