import { ActionIcon, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { TemplateSuggestion } from '../lib/template-suggestions.ts';
import { TemplateField } from './template-field.tsx';

/** Shows a JSON value as the field text: strings as they are, anything else as JSON. */
export function asFieldText(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
}

/**
 * Named template values (an agent step's extra input fields, an http step's headers or body):
 * one row each with a remove button, and a name box to add another.
 */
export function TemplateRows(props: {
  /** Used in labels: "Header", "Body field", "Input field". */
  noun: string;
  stepId: string;
  values: Record<string, unknown>;
  onChange: (values: Record<string, unknown>) => void;
  suggestions: readonly TemplateSuggestion[];
  errorOf: (name: string) => string | null;
  /** Names shown elsewhere (schema fields) and so not here. */
  hidden?: ReadonlySet<string>;
  canAdd?: boolean;
}) {
  const [name, setName] = useState('');
  const entries = Object.entries(props.values).filter(([key]) => !props.hidden?.has(key));
  const add = () => {
    const trimmed = name.trim();
    if (!trimmed || Object.hasOwn(props.values, trimmed)) return;
    props.onChange({ ...props.values, [trimmed]: '' });
    setName('');
  };
  return (
    <Stack gap="xs">
      {entries.map(([key, value]) => (
        <Group key={key} gap={4} align="flex-end" wrap="nowrap">
          <div style={{ flex: 1, minWidth: 0 }}>
            <TemplateField
              label={key}
              value={asFieldText(value)}
              onChange={(next) => props.onChange({ ...props.values, [key]: next })}
              suggestions={props.suggestions}
              error={props.errorOf(key)}
              testId={`field-${props.stepId}-${key}`}
            />
          </div>
          <ActionIcon
            variant="subtle"
            color="red"
            mb={4}
            aria-label={`Remove ${props.noun.toLowerCase()} ${key}`}
            onClick={() => {
              const { [key]: _removed, ...rest } = props.values;
              props.onChange(rest);
            }}
          >
            ×
          </ActionIcon>
        </Group>
      ))}
      {props.canAdd === false ? null : (
        <Group gap={4} align="flex-end" wrap="nowrap">
          <TextInput
            label={`New ${props.noun.toLowerCase()} name`}
            size="xs"
            style={{ flex: 1 }}
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter') {
                event.preventDefault();
                add();
              }
            }}
          />
          <Button size="xs" variant="light" onClick={add} disabled={!name.trim()}>
            Add {props.noun.toLowerCase()}
          </Button>
        </Group>
      )}
      {entries.length === 0 && props.canAdd === false ? (
        <Text size="xs" c="dimmed">
          None.
        </Text>
      ) : null}
    </Stack>
  );
}
