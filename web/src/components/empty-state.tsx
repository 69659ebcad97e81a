import { Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

/** What a newcomer sees instead of an empty table: what this is, and the next step. */
export function EmptyState(props: { title: string; children: ReactNode; action?: ReactNode }) {
  return (
    <Paper withBorder p="xl" radius="md" data-testid="empty-state">
      <Stack align="center" gap="sm" ta="center">
        <Title order={3}>{props.title}</Title>
        <Text c="dimmed" maw={520}>
          {props.children}
        </Text>
        {props.action}
      </Stack>
    </Paper>
  );
}
