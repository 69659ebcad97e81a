import { Alert, Button, Group, Paper, SegmentedControl, Stack, Text, Textarea } from '@mantine/core';
import { useState } from 'react';
import type { JsonSchema } from '../api/api-types.ts';
import type { Approval, ApprovalDetail } from '../api/approval-types.ts';
import { useApprovalMutations } from '../hooks/use-approvals.ts';
import { ErrorAlert } from './error-alert.tsx';
import { type JsonValueDraft, JsonValueEditor } from './json-value-editor.tsx';

type Action = 'approve' | 'edit' | 'reject' | 'revise';

/**
 * The four decisions on a pending approval. Each is one request; a lost race answers 409
 * `approval_decided`, which is shown as the server worded it (who decided, when).
 */
export function ApprovalDecisionPanel(props: {
  workspaceId: string;
  approval: ApprovalDetail;
  outputSchema: JsonSchema | null;
  onDecided: (approval: Approval) => void;
}) {
  const { approval } = props;
  const mutations = useApprovalMutations(props.workspaceId);
  const [action, setAction] = useState<Action>('approve');
  const [comment, setComment] = useState('');
  const [feedback, setFeedback] = useState('');
  const [draft, setDraft] = useState<JsonValueDraft>({ valid: true, value: approval.output });
  const pending =
    mutations.approve.isPending || mutations.reject.isPending || mutations.requestRevision.isPending;
  const error = mutations.approve.error ?? mutations.reject.error ?? mutations.requestRevision.error;
  const onDecided = { onSuccess: props.onDecided };
  const costCap = approval.reason === 'cost_cap';

  return (
    <Paper withBorder p="md" data-testid="approval-decision">
      <Stack>
        <SegmentedControl
          aria-label="Decision"
          fullWidth
          data={[
            { value: 'approve', label: 'Approve' },
            ...(costCap ? [] : [{ value: 'edit', label: 'Edit, then approve' }]),
            { value: 'revise', label: 'Request revision' },
            { value: 'reject', label: 'Reject' },
          ]}
          value={action}
          onChange={(value) => setAction(value as Action)}
        />
        {action === 'approve' || action === 'edit' ? (
          <>
            {action === 'edit' ? (
              <JsonValueEditor
                label="Edited output"
                description={
                  props.outputSchema
                    ? "Checked against the agent's output schema as you type; later steps receive this instead."
                    : 'The agent has no output schema: any JSON. Later steps receive this instead.'
                }
                initialValue={approval.output}
                schema={props.outputSchema}
                onChange={setDraft}
                testId="approval-output-editor"
              />
            ) : null}
            <Textarea
              label="Comment (optional)"
              autosize
              minRows={2}
              value={comment}
              onChange={(event) => setComment(event.currentTarget.value)}
            />
            {costCap ? (
              <Text size="sm" c="dimmed">
                Approving raises this run's cost cap by the step's estimate and lets it run.
              </Text>
            ) : null}
            <Group justify="flex-end">
              <Button
                loading={pending}
                disabled={action === 'edit' && !draft.valid}
                onClick={() =>
                  mutations.approve.mutate(
                    {
                      approvalId: approval.id,
                      comment: comment.trim() || undefined,
                      output: action === 'edit' && draft.valid ? draft.value : undefined,
                    },
                    onDecided,
                  )
                }
              >
                {action === 'edit' ? 'Approve edited output' : 'Approve'}
              </Button>
            </Group>
          </>
        ) : (
          <>
            <Textarea
              label="Feedback"
              description={
                action === 'revise'
                  ? 'The step runs again with this feedback and its previous answer added to its prompt (at most 3 revisions).'
                  : 'The step fails with this feedback; the run fails and its later steps are skipped.'
              }
              required
              autosize
              minRows={3}
              value={feedback}
              onChange={(event) => setFeedback(event.currentTarget.value)}
            />
            <Group justify="flex-end">
              <Button
                color={action === 'reject' ? 'red.9' : 'violet'}
                loading={pending}
                disabled={feedback.trim() === ''}
                onClick={() =>
                  (action === 'reject' ? mutations.reject : mutations.requestRevision).mutate(
                    { approvalId: approval.id, feedback: feedback.trim() },
                    onDecided,
                  )
                }
              >
                {action === 'reject' ? 'Reject' : 'Send back for revision'}
              </Button>
            </Group>
          </>
        )}
        {error ? <ErrorAlert error={error} title="Not decided" /> : null}
        {approval.expiresAt ? (
          <Alert color="gray" variant="light">
            Decided automatically at {new Date(approval.expiresAt).toLocaleString()} if nobody decides first.
          </Alert>
        ) : null}
      </Stack>
    </Paper>
  );
}
