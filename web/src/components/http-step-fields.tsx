import { Select, Stack, Text } from '@mantine/core';
import type { HttpMethod, HttpStep } from '../api/workflow-types.ts';
import type { TemplateSuggestion } from '../lib/template-suggestions.ts';
import { TemplateField } from './template-field.tsx';
import { TemplateRows } from './template-rows.tsx';

const methods: HttpMethod[] = ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'];

function isFlatObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An http step: URL, method, headers (secrets only here) and a JSON body of named templates. */
export function HttpStepFields(props: {
  step: HttpStep;
  suggestions: readonly TemplateSuggestion[];
  onChange: (step: HttpStep) => void;
  errorOf: (field: string) => string | null;
}) {
  const { step } = props;
  const body = step.body ?? {};
  return (
    <Stack gap="xs">
      <TemplateField
        label="URL"
        required
        placeholder="https://hooks.example.com/notify"
        value={step.url}
        onChange={(url) => props.onChange({ ...step, url })}
        suggestions={props.suggestions}
        error={props.errorOf('url')}
        testId={`field-${step.id}-url`}
      />
      <Select
        label="Method"
        data={methods}
        value={step.method ?? 'POST'}
        allowDeselect={false}
        onChange={(method) => props.onChange({ ...step, method: (method ?? 'POST') as HttpMethod })}
      />
      <Text size="sm" fw={500} mt="xs">
        Headers
      </Text>
      <Text size="xs" c="dimmed">
        A header value may use {'{{ secrets.NAME }}'}; secrets never show in a run.
      </Text>
      <TemplateRows
        noun="Header"
        stepId={`${step.id}-header`}
        values={step.headers ?? {}}
        onChange={(headers) =>
          props.onChange({
            ...step,
            headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
          })
        }
        suggestions={props.suggestions}
        errorOf={(name) => props.errorOf(`headers/${name}`)}
      />
      <Text size="sm" fw={500} mt="xs">
        Body (JSON)
      </Text>
      {isFlatObject(body) ? (
        <TemplateRows
          noun="Body field"
          stepId={step.id}
          values={body}
          onChange={(next) => props.onChange({ ...step, body: next })}
          suggestions={props.suggestions}
          errorOf={(name) => props.errorOf(`body/${name}`)}
        />
      ) : (
        <Text size="xs" c="dimmed">
          This body is not an object of fields: edit it in the JSON view.
        </Text>
      )}
      {props.errorOf('body') ? (
        <Text size="xs" c="red" role="alert">
          {props.errorOf('body')}
        </Text>
      ) : null}
    </Stack>
  );
}
