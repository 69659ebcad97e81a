import { Autocomplete, Group, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import type { TemplateSuggestion } from '../lib/template-suggestions.ts';

/** The text before an unclosed `{{` and what was typed after it; null when no placeholder is open. */
function openPlaceholder(value: string): { before: string; typed: string } | null {
  const start = value.lastIndexOf('{{');
  if (start < 0 || value.indexOf('}}', start) >= 0) return null;
  return { before: value.slice(0, start), typed: value.slice(start + 2).trim() };
}

/**
 * A text field for a template. Typing `{{` (or focusing it empty) offers the run input's fields and
 * the upstream outputs; picking one completes the placeholder where it was opened.
 */
export function TemplateField(props: {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  suggestions: readonly TemplateSuggestion[];
  description?: ReactNode;
  error?: ReactNode;
  required?: boolean;
  placeholder?: string;
  testId?: string;
  'aria-label'?: string;
}) {
  const open = props.value === '' ? { before: '', typed: '' } : openPlaceholder(props.value);
  const byValue = new Map<string, TemplateSuggestion>();
  if (open) {
    const typed = open.typed.toLowerCase();
    for (const suggestion of props.suggestions) {
      if (typed && !suggestion.lookup.toLowerCase().includes(typed)) continue;
      byValue.set(`${open.before}${suggestion.template}`, suggestion);
      if (byValue.size >= 40) break;
    }
  }
  return (
    <Autocomplete
      label={props.label}
      aria-label={props['aria-label']}
      description={props.description}
      error={props.error}
      required={props.required}
      placeholder={props.placeholder ?? 'text, or {{ to insert a value'}
      value={props.value}
      onChange={props.onChange}
      data={[...byValue.keys()]}
      filter={({ options }) => options}
      openOnFocus={false}
      renderOption={({ option }) => {
        const suggestion = byValue.get(option.value);
        return (
          <Group gap="xs" wrap="nowrap" justify="space-between" w="100%">
            <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
              {suggestion?.template ?? option.value}
            </Text>
            {suggestion?.type ? (
              <Text size="xs" c="dimmed">
                {suggestion.type}
              </Text>
            ) : null}
          </Group>
        );
      }}
      styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
      data-testid={props.testId}
      comboboxProps={{ withinPortal: true }}
    />
  );
}
