import { Alert, Stack, Text } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import type { WorkflowDefinition } from '../api/workflow-types.ts';
import { parseDefinitionText } from '../lib/workflow-draft.ts';
import { CodeEditor } from './code-editor.tsx';

const format = (definition: WorkflowDefinition) => JSON.stringify(definition, null, 2);

/**
 * The definition as JSON. Edits that parse replace the draft (the graph follows); the text is only
 * rewritten when the draft changed somewhere else, so typing here is never reformatted under you.
 */
export function WorkflowJsonView(props: {
  definition: WorkflowDefinition;
  onChange: (definition: WorkflowDefinition) => void;
}) {
  const [text, setText] = useState(() => format(props.definition));
  const [error, setError] = useState<string | null>(null);
  const emitted = useRef(props.definition);
  useEffect(() => {
    if (props.definition !== emitted.current) {
      emitted.current = props.definition;
      setText(format(props.definition));
      setError(null);
    }
  }, [props.definition]);
  return (
    <Stack gap="xs">
      <Text size="sm" c="dimmed">
        The exact body the builder saves. Change it here and the graph follows; the server checks it as you
        type.
      </Text>
      {error ? (
        <Alert color="orange" title="Not applied yet" data-testid="json-view-error">
          {error}
        </Alert>
      ) : null}
      <CodeEditor
        label="Workflow definition (JSON)"
        language="json"
        value={text}
        minHeight={360}
        testId="workflow-json"
        onChange={(next) => {
          setText(next);
          const parsed = parseDefinitionText(next);
          setError(parsed.error);
          if (parsed.definition) {
            emitted.current = parsed.definition;
            props.onChange(parsed.definition);
          }
        }}
      />
    </Stack>
  );
}
