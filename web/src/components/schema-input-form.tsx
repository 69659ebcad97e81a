import { Checkbox, NumberInput, Stack, Tabs, TagsInput, Textarea, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { JsonSchema } from '../api/api-types.ts';
import { fieldsFromSchema } from '../lib/schema-fields.ts';
import { CodeEditor } from './code-editor.tsx';

export type InputDraft = { value: unknown; error: string | null };

/** The run input: a form generated from a flat input schema, or raw JSON for any schema. */
export function SchemaInputForm(props: { schema: JsonSchema | null; onChange: (draft: InputDraft) => void }) {
  const fields = fieldsFromSchema(props.schema);
  const formFields = fields && fields.length > 0 ? fields : null;
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [text, setText] = useState('{}');
  const [tab, setTab] = useState<string | null>(formFields ? 'form' : 'json');

  const setField = (name: string, value: unknown) => {
    const next = { ...values, [name]: value };
    if (value === undefined || value === '') delete next[name];
    setValues(next);
    setText(JSON.stringify(next, null, 2));
    props.onChange({ value: next, error: null });
  };

  return (
    <Tabs value={tab} onChange={setTab}>
      <Tabs.List>
        <Tabs.Tab value="form" disabled={!formFields}>
          Form
        </Tabs.Tab>
        <Tabs.Tab value="json">JSON</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="form" pt="xs">
        <Stack gap="xs" data-testid="input-form">
          {(formFields ?? []).map((field) => {
            const common = {
              label: field.name,
              description: field.description || undefined,
              required: field.required,
            };
            switch (field.type) {
              case 'number':
              case 'integer':
                return (
                  <NumberInput
                    key={field.name}
                    {...common}
                    allowDecimal={field.type === 'number'}
                    value={(values[field.name] as number | undefined) ?? ''}
                    onChange={(value) => setField(field.name, value === '' ? undefined : Number(value))}
                  />
                );
              case 'boolean':
                return (
                  <Checkbox
                    key={field.name}
                    label={field.name}
                    checked={values[field.name] === true}
                    onChange={(event) => setField(field.name, event.currentTarget.checked)}
                  />
                );
              case 'array':
                return (
                  <TagsInput
                    key={field.name}
                    {...common}
                    value={(values[field.name] as string[] | undefined) ?? []}
                    onChange={(value) => setField(field.name, value)}
                  />
                );
              case 'object':
                return (
                  <TextInput
                    key={field.name}
                    {...common}
                    description="An object: use the JSON tab."
                    disabled
                  />
                );
              default:
                return (
                  <Textarea
                    key={field.name}
                    {...common}
                    autosize
                    minRows={1}
                    value={(values[field.name] as string | undefined) ?? ''}
                    onChange={(event) => setField(field.name, event.currentTarget.value)}
                  />
                );
            }
          })}
        </Stack>
      </Tabs.Panel>
      <Tabs.Panel value="json" pt="xs">
        <CodeEditor
          label="Input (JSON)"
          language="json"
          value={text}
          minHeight={80}
          testId="input-json"
          onChange={(next) => {
            setText(next);
            try {
              const value = JSON.parse(next) as unknown;
              if (value && typeof value === 'object' && !Array.isArray(value))
                setValues(value as Record<string, unknown>);
              props.onChange({ value, error: null });
            } catch (error) {
              props.onChange({ value: null, error: `Not valid JSON: ${(error as Error).message}` });
            }
          }}
        />
      </Tabs.Panel>
    </Tabs>
  );
}
