import {
  ActionIcon,
  Badge,
  Button,
  Group,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useState } from 'react';
import type { AgentToolEntry, HttpToolEntry, ToolEntry } from '../api/tool-types.ts';
import { useAgents } from '../hooks/use-agents.ts';
import { toolKindLabels, toolNamePattern } from '../lib/tool-entries.ts';
import { AgentToolTester } from './agent-tool-tester.tsx';
import { CodeEditor } from './code-editor.tsx';
import { McpToolFields } from './mcp-tool-fields.tsx';
import { SchemaEditor } from './schema-editor.tsx';

const httpMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** One tool of the agent: the fields every kind shares, then its kind's own. */
export function ToolEntryEditor(props: {
  workspaceId: string;
  agentId: string;
  index: number;
  entry: ToolEntry;
  onChange: (entry: ToolEntry) => void;
  onRemove: () => void;
  onValidityChange: (valid: boolean) => void;
}) {
  const { entry } = props;
  const label = `Tool ${props.index + 1}`;
  const nameValid = toolNamePattern.test(entry.name);
  const approvalRule = typeof entry.approval === 'object' ? entry.approval : null;
  return (
    <Paper withBorder p="sm" data-testid="tool-entry" aria-label={`${label}: ${entry.name}`}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Group gap={6}>
            <Badge variant="light">{toolKindLabels[entry.kind]}</Badge>
            <Text ff="monospace" fw={600} size="sm">
              {entry.name}
            </Text>
          </Group>
          <ActionIcon variant="subtle" color="red" aria-label={`Remove ${label}`} onClick={props.onRemove}>
            ×
          </ActionIcon>
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput
            label={`${label} name`}
            description="What the model calls it"
            value={entry.name}
            error={nameValid ? null : 'Letters, digits, _ and -, at most 64'}
            onChange={(event) => props.onChange({ ...entry, name: event.currentTarget.value })}
          />
          <NumberInput
            label="Timeout (ms)"
            placeholder="30000"
            min={100}
            max={300_000}
            step={1000}
            value={entry.timeoutMs ?? ''}
            onChange={(value) => {
              const { timeoutMs: _dropped, ...rest } = entry;
              props.onChange(value === '' ? (rest as ToolEntry) : { ...entry, timeoutMs: Number(value) });
            }}
          />
          <Stack gap={2} justify="flex-end">
            <Switch
              label="Ask for approval before each call"
              checked={entry.approval === 'required' || approvalRule !== null}
              onChange={(event) =>
                props.onChange({ ...entry, approval: event.currentTarget.checked ? 'required' : 'never' })
              }
            />
            {approvalRule ? (
              <Text size="xs" c="dimmed">
                By rule on {approvalRule.path}; switching sets always or never.
              </Text>
            ) : null}
          </Stack>
        </SimpleGrid>
        <Textarea
          label="Description"
          description={
            entry.kind === 'mcp'
              ? "Optional: the server's description is used without one"
              : 'The model decides from this when to call the tool'
          }
          required={entry.kind !== 'mcp'}
          autosize
          minRows={1}
          value={entry.description ?? ''}
          onChange={(event) => props.onChange({ ...entry, description: event.currentTarget.value })}
        />
        {entry.kind === 'mcp' ? (
          <McpToolFields workspaceId={props.workspaceId} entry={entry} onChange={props.onChange} />
        ) : entry.kind === 'http' ? (
          <>
            <HttpToolFields
              entry={entry}
              label={label}
              onChange={props.onChange}
              onValidityChange={props.onValidityChange}
            />
            {entry.name ? (
              <AgentToolTester
                workspaceId={props.workspaceId}
                agentId={props.agentId}
                toolName={entry.name}
                parameters={entry.parameters ?? { type: 'object', properties: {} }}
              />
            ) : null}
          </>
        ) : (
          <AgentToolFields
            workspaceId={props.workspaceId}
            agentId={props.agentId}
            entry={entry}
            label={label}
            onChange={props.onChange}
            onValidityChange={props.onValidityChange}
          />
        )}
      </Stack>
    </Paper>
  );
}

function SchemaPair(props: {
  label: string;
  entry: HttpToolEntry | AgentToolEntry;
  onChange: (entry: HttpToolEntry | AgentToolEntry) => void;
  onValidityChange: (valid: boolean) => void;
}) {
  const [validity, setValidity] = useState({ parameters: true, result: true });
  const report = (change: Partial<typeof validity>) => {
    const next = { ...validity, ...change };
    setValidity(next);
    props.onValidityChange(next.parameters && next.result);
  };
  const slug = props.label.toLowerCase().replace(/\s+/g, '-');
  return (
    <>
      <SchemaEditor
        label={`${props.label} parameters`}
        name={`${slug}-parameters`}
        value={props.entry.parameters}
        onChange={(schema) => props.onChange({ ...props.entry, parameters: schema ?? { type: 'object' } })}
        onValidityChange={(valid) => report({ parameters: valid })}
      />
      <SchemaEditor
        label={`${props.label} result schema`}
        name={`${slug}-result`}
        value={props.entry.resultSchema ?? null}
        onChange={(schema) => props.onChange({ ...props.entry, resultSchema: schema })}
        onValidityChange={(valid) => report({ result: valid })}
      />
    </>
  );
}

function HttpToolFields(props: {
  entry: HttpToolEntry;
  label: string;
  onChange: (entry: ToolEntry) => void;
  onValidityChange: (valid: boolean) => void;
}) {
  const { entry } = props;
  const [bodyText, setBodyText] = useState(
    entry.body === undefined ? '' : JSON.stringify(entry.body, null, 2),
  );
  const [bodyError, setBodyError] = useState<string | null>(null);
  const headers = Object.entries(entry.headers ?? {});
  const setHeaders = (rows: Array<[string, string]>) =>
    props.onChange({ ...entry, headers: Object.fromEntries(rows) });
  return (
    <Stack gap="xs">
      <Group align="flex-end" wrap="nowrap">
        <Select
          label="Method"
          w={120}
          data={[...httpMethods]}
          value={entry.method}
          allowDeselect={false}
          onChange={(value) =>
            props.onChange({ ...entry, method: (value ?? 'GET') as HttpToolEntry['method'] })
          }
        />
        <TextInput
          label="URL"
          description="Arguments go in the path or query as {{ input.name }}; the host is fixed"
          style={{ flex: 1 }}
          value={entry.url}
          onChange={(event) => props.onChange({ ...entry, url: event.currentTarget.value })}
        />
      </Group>
      <Text size="sm" fw={500}>
        Headers
      </Text>
      {headers.map(([name, value], index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place, names change as you type
        <Group key={index} gap="xs" wrap="nowrap">
          <TextInput
            aria-label={`${props.label} header ${index + 1} name`}
            size="xs"
            w={180}
            value={name}
            onChange={(event) =>
              setHeaders(headers.map((row, at) => (at === index ? [event.currentTarget.value, row[1]] : row)))
            }
          />
          <TextInput
            aria-label={`${props.label} header ${index + 1} value`}
            size="xs"
            style={{ flex: 1 }}
            placeholder="Bearer {{ secrets.API_TOKEN }}"
            value={value}
            onChange={(event) =>
              setHeaders(headers.map((row, at) => (at === index ? [row[0], event.currentTarget.value] : row)))
            }
          />
          <ActionIcon
            variant="subtle"
            color="red"
            aria-label={`Remove ${props.label} header ${index + 1}`}
            onClick={() => setHeaders(headers.filter((_, at) => at !== index))}
          >
            ×
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button
          size="xs"
          variant="light"
          onClick={() => setHeaders([...headers, [`X-Header-${headers.length + 1}`, '']])}
        >
          Add header
        </Button>
        <Text size="xs" c="dimmed">
          Header values may use workspace secrets only: {'{{ secrets.NAME }}'}.
        </Text>
      </Group>
      <CodeEditor
        label="Body (JSON template)"
        description="Empty: POST, PUT and PATCH send the arguments as the JSON body"
        language="json"
        value={bodyText}
        minHeight={50}
        error={bodyError}
        testId={`${props.label.toLowerCase().replace(/\s+/g, '-')}-body`}
        onChange={(text) => {
          setBodyText(text);
          if (text.trim() === '') {
            setBodyError(null);
            const { body: _dropped, ...rest } = entry;
            props.onChange(rest);
            return;
          }
          try {
            props.onChange({ ...entry, body: JSON.parse(text) });
            setBodyError(null);
          } catch (error) {
            setBodyError(`Not valid JSON: ${(error as Error).message}`);
          }
        }}
      />
      <SchemaPair
        label={props.label}
        entry={entry}
        onChange={(next) => props.onChange(next as HttpToolEntry)}
        onValidityChange={(valid) => props.onValidityChange(valid && bodyError === null)}
      />
    </Stack>
  );
}

function AgentToolFields(props: {
  workspaceId: string;
  agentId: string;
  entry: AgentToolEntry;
  label: string;
  onChange: (entry: ToolEntry) => void;
  onValidityChange: (valid: boolean) => void;
}) {
  const agents = useAgents(props.workspaceId, { limit: 100 });
  const options = (agents.data?.items ?? [])
    .filter((agent) => agent.id !== props.agentId)
    .map((agent) => ({ value: agent.slug, label: `${agent.name} (${agent.slug})` }));
  return (
    <Stack gap="xs">
      <Select
        label="Agent to call"
        description="It runs with the arguments as its input; its cost counts in this run's"
        searchable
        data={options}
        value={props.entry.agent === '' ? null : props.entry.agent}
        onChange={(value) => props.onChange({ ...props.entry, agent: value ?? '' })}
      />
      <SchemaPair
        label={props.label}
        entry={props.entry}
        onChange={(next) => props.onChange(next as AgentToolEntry)}
        onValidityChange={props.onValidityChange}
      />
    </Stack>
  );
}
