import { Alert, List } from '@mantine/core';
import { ApiError } from '../api/api-error.ts';

interface Problem {
  location?: string;
  path?: string;
  message?: string;
}

/** Shows an API error exactly as the server worded it, with per-field problems when it sent them. */
export function ErrorAlert(props: { error: unknown; title?: string }) {
  if (!props.error) return null;
  const error = props.error;
  const message = error instanceof Error ? error.message : String(error);
  const code = ApiError.isInstance(error) ? error.code : null;
  const problems =
    ApiError.isInstance(error) && Array.isArray(error.details) ? (error.details as Problem[]) : [];
  return (
    <Alert color="red" title={props.title ?? 'Something went wrong'} role="alert" data-testid="error-alert">
      {message}
      {code ? <span style={{ opacity: 0.6 }}> ({code})</span> : null}
      {problems.length > 1 ? (
        <List size="sm" mt="xs">
          {problems.map((problem) => (
            <List.Item key={`${problem.path}-${problem.message}`}>
              {problem.path ?? ''} {problem.message ?? ''}
            </List.Item>
          ))}
        </List>
      ) : null}
    </Alert>
  );
}
