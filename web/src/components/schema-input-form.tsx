import { Stack, Tabs, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { JsonSchema } from '../api/api-types.ts';
import { defaultsOf, formSupports, withoutBlanks } from '../lib/schema-form.ts';
import { CodeEditor } from './code-editor.tsx';
import { ObjectFields } from './schema-value-field.tsx';

export type InputDraft = { value: unknown; error: string | null };

/**
 * A run input: a form generated from the input schema (nested objects, arrays, enums, numbers,
 * booleans, required marks, defaults filled in), or raw JSON for any schema. Both tabs edit one value.
 */
export function SchemaInputForm(props: { schema: JsonSchema | null; onChange: (draft: InputDraft) => void }) {
  const supported =
    props.schema !== null && props.schema.type === 'object' && formSupports(props.schema)
      ? props.schema
      : null;
  const [value, setValue] = useState<unknown>(() => defaultsOf(props.schema) ?? {});
  const [text, setText] = useState(() => JSON.stringify(value, null, 2));
  const [tab, setTab] = useState<string | null>(supported ? 'form' : 'json');

  // The defaults are the input until someone edits: tell the owner once.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reports the initial value on mount only
  useEffect(() => props.onChange({ value, error: null }), []);

  const setFromForm = (next: unknown) => {
    const cleaned = withoutBlanks(next);
    setValue(next);
    setText(JSON.stringify(cleaned, null, 2));
    props.onChange({ value: cleaned, error: null });
  };

  return (
    <Tabs value={tab} onChange={setTab}>
      <Tabs.List>
        <Tabs.Tab value="form" disabled={!supported}>
          Form
        </Tabs.Tab>
        <Tabs.Tab value="json">JSON</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="form" pt="xs">
        <Stack gap="xs" data-testid="input-form">
          {supported ? (
            <>
              {Array.isArray(supported.required) && supported.required.length > 0 ? (
                <Text size="xs" c="dimmed">
                  Fields marked * are required.
                </Text>
              ) : null}
              <ObjectFields
                label="input"
                schema={supported}
                value={value}
                required
                onChange={setFromForm}
                depth={0}
              />
            </>
          ) : null}
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
              const parsed = JSON.parse(next) as unknown;
              setValue(parsed);
              props.onChange({ value: parsed, error: null });
            } catch (error) {
              props.onChange({ value: null, error: `Not valid JSON: ${(error as Error).message}` });
            }
          }}
        />
      </Tabs.Panel>
    </Tabs>
  );
}
