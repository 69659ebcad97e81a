import {
  Alert,
  Autocomplete,
  Badge,
  Button,
  Divider,
  Group,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  TagsInput,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useEffect, useState } from 'react';
import type { Agent, AgentDefinition, AgentProvider } from '../api/api-types.ts';
import { fieldErrorsOf } from '../api/field-errors.ts';
import { useAgentMutations } from '../hooks/use-agents.ts';
import { useModelCatalog } from '../hooks/use-model-catalog.ts';
import { useProviderKeys } from '../hooks/use-settings-resources.ts';
import { agentProviders } from '../lib/model-catalog.ts';
import { templateVariables } from '../lib/template-variables.ts';
import { guardLeaving } from '../router/navigation.ts';
import { AgentToolsSection } from './agent-tools-section.tsx';
import { CodeEditor } from './code-editor.tsx';
import { ErrorAlert } from './error-alert.tsx';
import { FallbackList } from './fallback-list.tsx';
import { SchemaEditor } from './schema-editor.tsx';

const definitionFields: Array<keyof AgentDefinition> = [
  'slug',
  'name',
  'description',
  'tags',
  'provider',
  'model',
  'providerKeyId',
  'systemPrompt',
  'promptTemplate',
  'temperature',
  'maxTokens',
  'inputSchema',
  'outputSchema',
  'retry',
  'fallbacks',
  'timeoutMs',
  'tools',
  'maxToolCalls',
];

function definitionOf(agent: Agent): AgentDefinition {
  return Object.fromEntries(
    definitionFields.map((field) => [field, agent[field]]),
  ) as unknown as AgentDefinition;
}

/** Only what changed is sent, so the version history names the fields that really changed. */
function changesBetween(before: AgentDefinition, after: AgentDefinition): Partial<AgentDefinition> {
  const patch: Record<string, unknown> = {};
  for (const field of definitionFields) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) patch[field] = after[field];
  }
  return patch as Partial<AgentDefinition>;
}

const numberOrNull = (value: number | string) => (value === '' ? null : Number(value));

/** The basics whose problems show under their own field; the rest (schemas, tools…) above the buttons. */
const basicFields = [
  'name',
  'slug',
  'description',
  'tags',
  'provider',
  'model',
  'providerKeyId',
  'temperature',
  'maxTokens',
  'timeoutMs',
] as const;
const basicLabels = { providerKeyId: 'Key', maxTokens: 'Max tokens', timeoutMs: 'Timeout' };

/** Asks before the page is left (closed, reloaded, or another console page) while `dirty`. */
function useLeaveGuard(dirty: boolean) {
  useEffect(() => {
    if (!dirty) return;
    const beforeUnload = (event: BeforeUnloadEvent) => {
      // The browser shows its own wording; preventDefault is what asks.
      event.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    const removeGuard = guardLeaving(() =>
      window.confirm('This agent has unsaved changes. Leave the page and lose them?'),
    );
    return () => {
      window.removeEventListener('beforeunload', beforeUnload);
      removeGuard();
    };
  }, [dirty]);
}

/** The agent's definition as a form; saving makes a new immutable version. */
export function AgentBuilder(props: { workspaceId: string; agent: Agent }) {
  const modelCatalog = useModelCatalog();
  const [draft, setDraft] = useState<AgentDefinition>(() => definitionOf(props.agent));
  const [schemasValid, setSchemasValid] = useState({ input: true, output: true });
  const [toolsValid, setToolsValid] = useState(true);
  const { update } = useAgentMutations(props.workspaceId);
  const keys = useProviderKeys(props.workspaceId);
  // A saved or reverted agent is the new baseline.
  useEffect(() => setDraft(definitionOf(props.agent)), [props.agent]);

  const patch = changesBetween(definitionOf(props.agent), draft);
  const dirty = Object.keys(patch).length > 0;
  useLeaveGuard(dirty);
  const errors = fieldErrorsOf(update.error, basicFields, basicLabels).fields;
  const set = <Field extends keyof AgentDefinition>(field: Field, value: AgentDefinition[Field]) =>
    setDraft((current) => ({ ...current, [field]: value }));
  const keyOptions = (keys.data?.items ?? [])
    .filter((key) => key.provider === draft.provider)
    .map((key) => ({ value: key.id, label: `${key.label} (••••${key.lastFour})` }));
  const variables = templateVariables(draft.promptTemplate);

  return (
    <Paper withBorder p="md">
      <form
        aria-label="Agent builder"
        onSubmit={(event) => {
          event.preventDefault();
          update.mutate({ agentId: props.agent.id, patch });
        }}
      >
        <Stack>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Name"
              required
              error={errors.name}
              value={draft.name}
              onChange={(event) => set('name', event.currentTarget.value)}
            />
            <TextInput
              label="Slug"
              description="Used by the API and workflows"
              error={errors.slug}
              value={draft.slug}
              onChange={(event) => set('slug', event.currentTarget.value)}
            />
          </SimpleGrid>
          <Textarea
            label="Description"
            autosize
            minRows={1}
            error={errors.description}
            value={draft.description}
            onChange={(event) => set('description', event.currentTarget.value)}
          />
          <TagsInput
            label="Tags"
            error={errors.tags}
            value={draft.tags}
            onChange={(value) => set('tags', value)}
          />
          <Divider label="Model" labelPosition="left" />
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Select
              label="Provider"
              data={agentProviders}
              value={draft.provider}
              error={errors.provider}
              allowDeselect={false}
              onChange={(value) => {
                const provider = (value ?? 'openai') as AgentProvider;
                setDraft((current) => ({ ...current, provider, providerKeyId: null }));
              }}
            />
            <Autocomplete
              label="Model"
              description="Catalog models, or type any name"
              required
              data={modelCatalog[draft.provider]}
              error={errors.model}
              value={draft.model}
              onChange={(value) => set('model', value)}
            />
            <Select
              label="Key"
              placeholder="Workspace default"
              clearable
              disabled={draft.provider === 'mock'}
              data={keyOptions}
              error={errors.providerKeyId}
              value={draft.providerKeyId}
              onChange={(value) => set('providerKeyId', value)}
            />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 2, sm: 3 }}>
            <NumberInput
              label="Temperature"
              min={0}
              max={2}
              step={0.1}
              decimalScale={2}
              placeholder="provider default"
              error={errors.temperature}
              value={draft.temperature ?? ''}
              onChange={(value) => set('temperature', numberOrNull(value))}
            />
            <NumberInput
              label="Max tokens"
              min={1}
              placeholder="provider default"
              error={errors.maxTokens}
              value={draft.maxTokens ?? ''}
              onChange={(value) => set('maxTokens', numberOrNull(value))}
            />
            <NumberInput
              label="Timeout (ms)"
              min={1000}
              step={1000}
              error={errors.timeoutMs}
              value={draft.timeoutMs}
              onChange={(value) => set('timeoutMs', Number(value) || 0)}
            />
          </SimpleGrid>
          <Divider label="Prompt" labelPosition="left" />
          <CodeEditor
            label="System prompt"
            value={draft.systemPrompt}
            onChange={(value) => set('systemPrompt', value)}
            minHeight={60}
            testId="system-prompt"
          />
          <CodeEditor
            label="Prompt template"
            description="Use {{ input.field }} to insert a field of the run input."
            value={draft.promptTemplate}
            onChange={(value) => set('promptTemplate', value)}
            minHeight={80}
            testId="prompt-template"
          />
          <Group gap={6} data-testid="template-variables">
            <Text size="xs" c="dimmed">
              Variables:
            </Text>
            {variables.length === 0 ? (
              <Text size="xs" c="dimmed">
                none
              </Text>
            ) : (
              variables.map((variable) => (
                <Badge key={variable} variant="light" size="sm" tt="none">
                  {variable}
                </Badge>
              ))
            )}
          </Group>
          <Divider label="Schemas" labelPosition="left" />
          <SchemaEditor
            key={`input-${props.agent.versionId}`}
            label="Input schema"
            name="input-schema"
            value={draft.inputSchema}
            onChange={(schema) => set('inputSchema', schema)}
            onValidityChange={(valid) => setSchemasValid((current) => ({ ...current, input: valid }))}
          />
          <SchemaEditor
            key={`output-${props.agent.versionId}`}
            label="Output schema"
            name="output-schema"
            value={draft.outputSchema}
            onChange={(schema) => set('outputSchema', schema)}
            onValidityChange={(valid) => setSchemasValid((current) => ({ ...current, output: valid }))}
          />
          <Divider label="Tools" labelPosition="left" />
          <AgentToolsSection
            key={`tools-${props.agent.versionId}`}
            workspaceId={props.workspaceId}
            agentId={props.agent.id}
            tools={draft.tools ?? []}
            maxToolCalls={draft.maxToolCalls ?? 10}
            onToolsChange={(tools) => set('tools', tools)}
            onMaxToolCallsChange={(value) => set('maxToolCalls', value)}
            onValidityChange={setToolsValid}
          />
          <Divider label="Reliability" labelPosition="left" />
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <NumberInput
              label="Max attempts"
              min={1}
              max={10}
              value={draft.retry.maxAttempts}
              onChange={(value) => set('retry', { ...draft.retry, maxAttempts: Number(value) || 1 })}
            />
            <NumberInput
              label="Base delay (ms)"
              min={0}
              value={draft.retry.baseDelayMs}
              onChange={(value) => set('retry', { ...draft.retry, baseDelayMs: Number(value) || 0 })}
            />
            <NumberInput
              label="Max delay (ms)"
              min={0}
              value={draft.retry.maxDelayMs}
              onChange={(value) => set('retry', { ...draft.retry, maxDelayMs: Number(value) || 0 })}
            />
          </SimpleGrid>
          <FallbackList value={draft.fallbacks} onChange={(value) => set('fallbacks', value)} />
          <ErrorAlert error={update.error} title="Could not save the agent" fields={basicFields} />
          {update.isSuccess && !dirty ? (
            <Alert color="green" data-testid="saved-notice">
              Saved as version {props.agent.version}.
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" disabled={!dirty} onClick={() => setDraft(definitionOf(props.agent))}>
              Discard changes
            </Button>
            <Button
              type="submit"
              disabled={!dirty || !schemasValid.input || !schemasValid.output || !toolsValid}
              loading={update.isPending}
            >
              Save new version
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
