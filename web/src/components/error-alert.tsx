import { Alert, List } from '@mantine/core';
import { ApiError } from '../api/api-error.ts';
import { fieldErrorsOf } from '../api/field-errors.ts';
import { formatDuration } from '../lib/format.ts';

/** "Try again in 897 seconds." from the server becomes "Try again in 15 minutes." */
function withHumanWait(message: string, retryAfterSeconds: number | null): string {
  if (retryAfterSeconds === null) return message;
  const wait = `Try again in ${formatDuration(retryAfterSeconds)}.`;
  const replaced = message.replace(/try again in \d+ seconds?\.?/i, wait);
  return replaced === message && !/try again/i.test(message) ? `${message} ${wait}` : replaced;
}

/**
 * Shows an API error in sentences. Validation problems are worded per field ("Email must be an email
 * address."); a form that shows them under its own fields passes their names in `fields`, and only
 * the problems no field shows stay here (nothing at all when every one has its field).
 */
export function ErrorAlert(props: {
  error: unknown;
  title?: string;
  fields?: readonly string[];
  /** Where the form's object sits in the request body (see fieldErrorsOf). */
  pointerPrefix?: string;
}) {
  if (!props.error) return null;
  const error = props.error;
  const title = props.title ?? 'Something went wrong';
  if (ApiError.isInstance(error) && error.code === 'validation_failed' && Array.isArray(error.details)) {
    const mapped = fieldErrorsOf(error, props.fields ?? [], {}, props.pointerPrefix);
    if (mapped.rest.length === 0) return null;
    return (
      <Alert color="red" title={title} role="alert" data-testid="error-alert">
        {mapped.rest.length === 1 ? (
          mapped.rest[0]
        ) : (
          <List size="sm">
            {mapped.rest.map((problem) => (
              <List.Item key={problem}>{problem}</List.Item>
            ))}
          </List>
        )}
      </Alert>
    );
  }
  // A problem the form shows under its field needs no second telling here.
  if (props.fields && Object.keys(fieldErrorsOf(error, props.fields).fields).length > 0) return null;
  const message =
    error instanceof Error
      ? withHumanWait(error.message, ApiError.isInstance(error) ? error.retryAfterSeconds : null)
      : String(error);
  const code = ApiError.isInstance(error) ? error.code : null;
  // Other answers with a list of problems (`workflow_invalid`) keep their list.
  const problems =
    ApiError.isInstance(error) && Array.isArray(error.details)
      ? (error.details as Array<{ path?: string; message?: string }>)
      : [];
  return (
    <Alert color="red" title={title} role="alert" data-testid="error-alert">
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
