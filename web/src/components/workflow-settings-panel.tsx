import { List, Paper, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import type { Workflow, WorkflowDefinition, WorkflowProblem } from '../api/workflow-types.ts';
import { ScheduleField } from './schedule-field.tsx';
import { SchemaEditor } from './schema-editor.tsx';
import { WebhookPanel } from './webhook-panel.tsx';

const messageAt = (problems: readonly WorkflowProblem[], pointer: string) =>
  problems
    .filter((problem) => problem.pointer === pointer || problem.pointer.startsWith(`${pointer}/`))
    .map((problem) => problem.message)
    .join(' ') || null;

/** The workflow as a whole: description, slug, run input schema, webhook and schedule triggers. */
export function WorkflowSettingsPanel(props: {
  workspaceId: string;
  definition: WorkflowDefinition;
  onChange: (definition: WorkflowDefinition) => void;
  workflow: Workflow | null;
  problems: readonly WorkflowProblem[];
  /** Changes when the definition was replaced from outside (JSON view, load): editors re-read it. */
  revision: number;
  canEdit: boolean;
  onSchemaValidityChange: (valid: boolean) => void;
}) {
  const { definition, onChange } = props;
  const triggers = definition.triggers ?? {};
  const setTriggers = (change: Partial<NonNullable<WorkflowDefinition['triggers']>>) =>
    onChange({ ...definition, triggers: { ...triggers, ...change } });
  const unplaced = props.problems.filter(
    (problem) =>
      !['/triggers', '/inputSchema', '/slug', '/description'].some((prefix) =>
        problem.pointer.startsWith(prefix),
      ),
  );
  return (
    <Stack>
      {unplaced.length > 0 ? (
        <List size="sm" c="red">
          {unplaced.map((problem) => (
            <List.Item key={`${problem.pointer}-${problem.message}`}>{problem.message}</List.Item>
          ))}
        </List>
      ) : null}
      <Paper withBorder p="sm">
        <Stack gap="xs">
          <Title order={4}>About</Title>
          <TextInput
            label="Slug"
            description="Used in URLs and the CLI; made from the name when empty."
            value={definition.slug ?? ''}
            error={messageAt(props.problems, '/slug')}
            onChange={(event) => {
              const slug = event.currentTarget.value;
              const { slug: _old, ...rest } = definition;
              onChange(slug ? { ...rest, slug } : rest);
            }}
          />
          <Textarea
            label="Description"
            autosize
            minRows={2}
            value={definition.description ?? ''}
            error={messageAt(props.problems, '/description')}
            onChange={(event) => onChange({ ...definition, description: event.currentTarget.value })}
          />
        </Stack>
      </Paper>
      <Paper withBorder p="sm">
        <Stack gap="xs">
          <Title order={4}>Run input</Title>
          <Text size="xs" c="dimmed">
            What a run starts with; steps read it as {'{{ run.input.<field> }}'}. No schema: any JSON object.
          </Text>
          <SchemaEditor
            key={props.revision}
            label="Run input schema"
            name="workflow-input-schema"
            value={definition.inputSchema ?? null}
            onChange={(inputSchema) => onChange({ ...definition, inputSchema })}
            onValidityChange={props.onSchemaValidityChange}
          />
          {messageAt(props.problems, '/inputSchema') ? (
            <Text size="xs" c="red">
              {messageAt(props.problems, '/inputSchema')}
            </Text>
          ) : null}
        </Stack>
      </Paper>
      <Paper withBorder p="sm">
        <Stack gap="xs">
          <Title order={4}>Triggers</Title>
          <Text size="xs" c="dimmed">
            Manual runs always work (the Run button, the API, the CLI).
          </Text>
          <WebhookPanel
            workspaceId={props.workspaceId}
            workflow={props.workflow}
            enabled={triggers.webhook === true}
            onEnabledChange={(webhook) => setTriggers({ webhook })}
            canEdit={props.canEdit}
          />
          <ScheduleField
            schedule={triggers.schedule ?? ''}
            timezone={triggers.timezone ?? ''}
            scheduleError={messageAt(props.problems, '/triggers/schedule')}
            timezoneError={messageAt(props.problems, '/triggers/timezone')}
            onChange={({ schedule, timezone }) =>
              setTriggers({
                schedule: schedule.trim() ? schedule : null,
                timezone: timezone.trim() ? timezone : null,
              })
            }
          />
        </Stack>
      </Paper>
    </Stack>
  );
}
