import { List, Text } from '@mantine/core';
import { useState } from 'react';
import type { JsonSchema } from '../api/api-types.ts';
import { checkJsonSchema, type SchemaProblem } from '../lib/check-json-schema.ts';
import { CodeEditor } from './code-editor.tsx';

/** What the editor holds: the parsed value when the text is valid JSON that fits the schema. */
export type JsonValueDraft =
  | { valid: true; value: unknown }
  | { valid: false; parseError: string | null; problems: SchemaProblem[] };

function draftOf(text: string, schema: JsonSchema | null): JsonValueDraft {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    return { valid: false, parseError: `Not valid JSON: ${(error as Error).message}`, problems: [] };
  }
  const problems = checkJsonSchema(schema, value);
  return problems.length === 0 ? { valid: true, value } : { valid: false, parseError: null, problems };
}

/** A JSON editor for a value (not a schema), checked against `schema` as you type. */
export function JsonValueEditor(props: {
  label: string;
  initialValue: unknown;
  schema: JsonSchema | null;
  onChange: (draft: JsonValueDraft) => void;
  description?: string;
  testId?: string;
}) {
  const [text, setText] = useState(() => JSON.stringify(props.initialValue ?? null, null, 2));
  const [draft, setDraft] = useState<JsonValueDraft>(() => draftOf(text, props.schema));
  return (
    <div>
      <CodeEditor
        label={props.label}
        description={props.description}
        language="json"
        value={text}
        minHeight={160}
        testId={props.testId}
        error={
          draft.valid ? null : (draft.parseError ?? `${draft.problems.length} problem(s) with the schema`)
        }
        onChange={(next) => {
          setText(next);
          const nextDraft = draftOf(next, props.schema);
          setDraft(nextDraft);
          props.onChange(nextDraft);
        }}
      />
      {!draft.valid && draft.problems.length > 0 ? (
        <List size="sm" c="red" mt={4} data-testid={props.testId ? `${props.testId}-problems` : undefined}>
          {draft.problems.slice(0, 10).map((problem) => (
            <List.Item key={`${problem.pointer} ${problem.message}`}>
              <Text span ff="monospace" size="sm">
                {problem.pointer}
              </Text>{' '}
              {problem.message}
            </List.Item>
          ))}
        </List>
      ) : null}
    </div>
  );
}
