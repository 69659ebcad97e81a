import { Button, Code, CopyButton, Group, Stack, Text } from '@mantine/core';

/** A titled JSON (or text) block with a copy button; `empty` says what a null value means. */
export function JsonBlock(props: { title: string; value: unknown; empty: string; testId?: string }) {
  const text =
    props.value === null || props.value === undefined
      ? null
      : typeof props.value === 'string'
        ? props.value
        : JSON.stringify(props.value, null, 2);
  return (
    <Stack gap={4} data-testid={props.testId}>
      <Group justify="space-between">
        <Text fw={600}>{props.title}</Text>
        {text === null ? null : (
          <CopyButton value={text}>
            {({ copied, copy }) => (
              <Button
                size="compact-xs"
                variant="subtle"
                onClick={copy}
                aria-label={`Copy ${props.title.toLowerCase()}`}
              >
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
        )}
      </Group>
      {text === null ? (
        <Text size="sm" c="dimmed">
          {props.empty}
        </Text>
      ) : (
        <Code block>{text}</Code>
      )}
    </Stack>
  );
}
