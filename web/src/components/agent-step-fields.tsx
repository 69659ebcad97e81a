import { Select, Stack, Text } from '@mantine/core';
import type { Agent, JsonSchema } from '../api/api-types.ts';
import type { AgentStep } from '../api/workflow-types.ts';
import { findAgent, type TemplateSuggestion } from '../lib/template-suggestions.ts';
import { TemplateField } from './template-field.tsx';
import { asFieldText, TemplateRows } from './template-rows.tsx';

interface SchemaProperty {
  name: string;
  type: string | null;
  description: string;
  required: boolean;
}

function propertiesOf(schema: JsonSchema | null): SchemaProperty[] {
  const properties = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(schema?.required) ? (schema.required as string[]) : []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    type: typeof property.type === 'string' ? property.type : null,
    description: typeof property.description === 'string' ? property.description : '',
    required: required.has(name),
  }));
}

/** An agent step: which agent, and one template per field of its input schema. */
export function AgentStepFields(props: {
  step: AgentStep;
  agents: readonly Agent[];
  suggestions: readonly TemplateSuggestion[];
  onChange: (step: AgentStep) => void;
  errorOf: (field: string) => string | null;
}) {
  const { step } = props;
  const agent = findAgent(props.agents, step.agent);
  const schema = agent?.inputSchema ?? null;
  const properties = propertiesOf(schema);
  const closed = schema?.additionalProperties === false;
  const setInput = (input: Record<string, unknown>) => props.onChange({ ...step, input });
  const options = props.agents.map((candidate) => ({ value: candidate.slug, label: candidate.name }));
  if (step.agent && !agent) options.push({ value: step.agent, label: `${step.agent} (unknown)` });
  return (
    <Stack gap="xs">
      <Select
        label="Agent"
        placeholder="Pick the agent this step runs"
        searchable
        data={options}
        value={step.agent || null}
        error={props.errorOf('agent')}
        nothingFoundMessage="No agent by that name"
        onChange={(value) => {
          const next = findAgent(props.agents, value ?? '');
          // Keep what was mapped; add an empty field for each input the new agent takes.
          const input = { ...step.input };
          for (const property of propertiesOf(next?.inputSchema ?? null)) {
            if (!Object.hasOwn(input, property.name)) input[property.name] = '';
          }
          props.onChange({ ...step, agent: value ?? '', input });
        }}
      />
      {agent ? (
        <Text size="xs" c="dimmed">
          {agent.provider} / {agent.model}
          {agent.outputSchema ? ' · structured output' : ' · text output'}
        </Text>
      ) : null}
      {props.errorOf('input') ? (
        <Text size="xs" c="red" role="alert">
          {props.errorOf('input')}
        </Text>
      ) : null}
      {properties.length > 0 ? (
        <Text size="sm" fw={500} mt="xs">
          Input
        </Text>
      ) : null}
      {properties.map((property) => (
        <TemplateField
          key={property.name}
          label={property.name}
          description={[property.type, property.description].filter(Boolean).join(' · ') || undefined}
          required={property.required}
          value={asFieldText(step.input[property.name])}
          onChange={(value) => setInput({ ...step.input, [property.name]: value })}
          suggestions={props.suggestions}
          error={props.errorOf(`input/${property.name}`)}
          testId={`field-${step.id}-${property.name}`}
        />
      ))}
      {agent ? (
        <>
          {properties.length === 0 || !closed ? (
            <Text size="sm" fw={500} mt="xs">
              {properties.length === 0 ? 'Input fields' : 'Other input fields'}
            </Text>
          ) : null}
          <TemplateRows
            noun="Input field"
            stepId={step.id}
            values={step.input}
            onChange={setInput}
            suggestions={props.suggestions}
            errorOf={(name) => props.errorOf(`input/${name}`)}
            hidden={new Set(properties.map((property) => property.name))}
            canAdd={!closed}
          />
        </>
      ) : null}
    </Stack>
  );
}
