import { ActionIcon, Button, Group, PasswordInput, Stack, Text, TextInput } from '@mantine/core';

export interface HeaderRow {
  name: string;
  value: string;
}

/** The header rows as the API takes them; rows without a name are left out. */
export function headersFromRows(rows: readonly HeaderRow[]): Record<string, string> {
  return Object.fromEntries(
    rows.filter((row) => row.name.trim() !== '').map((row) => [row.name.trim(), row.value]),
  );
}

/** Header name and secret value rows (an Authorization header, an API key); values are typed, never shown back. */
export function McpHeaderRows(props: {
  rows: HeaderRow[];
  onChange: (rows: HeaderRow[]) => void;
  label?: string;
}) {
  const update = (index: number, change: Partial<HeaderRow>) =>
    props.onChange(props.rows.map((row, at) => (at === index ? { ...row, ...change } : row)));
  return (
    <Stack gap={6}>
      <Text size="sm" fw={500}>
        {props.label ?? 'Headers'}
      </Text>
      {props.rows.length === 0 ? (
        <Text size="xs" c="dimmed">
          No headers. Servers that need a credential usually take Authorization: Bearer ….
        </Text>
      ) : null}
      {props.rows.map((row, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place, names change as you type
        <Group key={index} gap="xs" align="flex-end" wrap="nowrap">
          <TextInput
            aria-label={`Header ${index + 1} name`}
            placeholder="Authorization"
            size="xs"
            w={180}
            value={row.name}
            onChange={(event) => update(index, { name: event.currentTarget.value })}
          />
          <PasswordInput
            aria-label={`Header ${index + 1} value`}
            placeholder="Bearer …"
            size="xs"
            autoComplete="off"
            style={{ flex: 1 }}
            visibilityToggleButtonProps={{ 'aria-label': `Show or hide header ${index + 1}` }}
            value={row.value}
            onChange={(event) => update(index, { value: event.currentTarget.value })}
          />
          <ActionIcon
            variant="subtle"
            color="red"
            aria-label={`Remove header ${index + 1}`}
            onClick={() => props.onChange(props.rows.filter((_, at) => at !== index))}
          >
            ×
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button
          size="xs"
          variant="light"
          onClick={() => props.onChange([...props.rows, { name: '', value: '' }])}
        >
          Add header
        </Button>
      </Group>
    </Stack>
  );
}
