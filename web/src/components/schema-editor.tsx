import { ActionIcon, Button, Checkbox, Group, Select, Stack, Tabs, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { JsonSchema } from '../api/api-types.ts';
import { fieldsFromSchema, fieldTypes, type SchemaField, schemaFromFields } from '../lib/schema-fields.ts';
import { CodeEditor } from './code-editor.tsx';

/** Checks what the browser can check; the server validates the schema itself (JSON Schema 2020-12) on save. */
function parseSchemaText(text: string): { schema: JsonSchema | null; error: string | null } {
  if (text.trim() === '') return { schema: null, error: null };
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return {
        schema: null,
        error: 'A schema is a JSON object, e.g. { "type": "object", "properties": { … } }.',
      };
    }
    return { schema: parsed as JsonSchema, error: null };
  } catch (error) {
    return { schema: null, error: `Not valid JSON: ${(error as Error).message}` };
  }
}

/** A JSON Schema editor: a visual field builder for flat objects, and raw JSON for everything else. */
export function SchemaEditor(props: {
  label: string;
  name: string;
  value: JsonSchema | null;
  onChange: (schema: JsonSchema | null) => void;
  onValidityChange: (valid: boolean) => void;
}) {
  const visualFields = fieldsFromSchema(props.value);
  const [tab, setTab] = useState<string | null>(visualFields === null ? 'json' : 'fields');
  const [text, setText] = useState(props.value ? JSON.stringify(props.value, null, 2) : '');
  const [textError, setTextError] = useState<string | null>(null);

  const setFields = (fields: SchemaField[]) => {
    const schema = schemaFromFields(fields);
    props.onChange(schema);
    setText(schema ? JSON.stringify(schema, null, 2) : '');
  };
  const fields = visualFields ?? [];
  const update = (index: number, change: Partial<SchemaField>) =>
    setFields(fields.map((field, at) => (at === index ? { ...field, ...change } : field)));

  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>
        {props.label}
      </Text>
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="fields" disabled={visualFields === null}>
            Fields
          </Tabs.Tab>
          <Tabs.Tab value="json">JSON</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="fields" pt="xs">
          <Stack gap="xs" data-testid={`${props.name}-fields`}>
            {fields.length === 0 ? (
              <Text size="sm" c="dimmed">
                No schema: any JSON is accepted. Add a field to require an object.
              </Text>
            ) : null}
            {fields.map((field, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place, names change as you type
              <Group key={index} gap="xs" wrap="wrap" align="flex-end">
                <TextInput
                  aria-label={`${props.label} field ${index + 1} name`}
                  placeholder="name"
                  value={field.name}
                  onChange={(event) => update(index, { name: event.currentTarget.value })}
                  w={140}
                  size="xs"
                />
                <Select
                  aria-label={`${props.label} field ${index + 1} type`}
                  data={[...fieldTypes]}
                  value={field.type}
                  allowDeselect={false}
                  onChange={(value) => update(index, { type: (value ?? 'string') as SchemaField['type'] })}
                  w={110}
                  size="xs"
                />
                <TextInput
                  aria-label={`${props.label} field ${index + 1} description`}
                  placeholder="description"
                  value={field.description}
                  onChange={(event) => update(index, { description: event.currentTarget.value })}
                  style={{ flex: 1 }}
                  miw={120}
                  size="xs"
                />
                <Checkbox
                  label="required"
                  checked={field.required}
                  onChange={(event) => update(index, { required: event.currentTarget.checked })}
                  size="xs"
                />
                <ActionIcon
                  variant="subtle"
                  color="red"
                  aria-label={`Remove ${props.label} field ${index + 1}`}
                  onClick={() => setFields(fields.filter((_, at) => at !== index))}
                >
                  ×
                </ActionIcon>
              </Group>
            ))}
            <Group>
              <Button
                size="xs"
                variant="light"
                onClick={() =>
                  setFields([
                    ...fields,
                    { name: `field${fields.length + 1}`, type: 'string', description: '', required: true },
                  ])
                }
              >
                Add field
              </Button>
            </Group>
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="json" pt="xs">
          <CodeEditor
            label={`${props.label} (JSON Schema)`}
            language="json"
            value={text}
            minHeight={120}
            error={textError}
            testId={`${props.name}-json`}
            placeholder='{ "type": "object", "properties": { … } }'
            onChange={(next) => {
              setText(next);
              const parsed = parseSchemaText(next);
              setTextError(parsed.error);
              props.onValidityChange(parsed.error === null);
              if (parsed.error === null) props.onChange(parsed.schema);
            }}
          />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
