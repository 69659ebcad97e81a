import { Box } from '@mantine/core';
import { diffLines } from '../lib/line-diff.ts';

const styles = {
  same: {},
  added: { background: 'var(--mantine-color-green-1)' },
  removed: { background: 'var(--mantine-color-red-1)', textDecoration: 'line-through' },
} as const;
const marks = { same: ' ', added: '+', removed: '-' } as const;

/** A unified line diff of two texts. */
export function DiffView(props: { before: string; after: string; testId?: string }) {
  return (
    <Box
      component="pre"
      data-testid={props.testId}
      fz="xs"
      p="xs"
      m={0}
      style={{
        overflowX: 'auto',
        border: '1px solid var(--mantine-color-gray-3)',
        borderRadius: 6,
        whiteSpace: 'pre-wrap',
      }}
    >
      {diffLines(props.before, props.after).map((line, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines of a diff are positional
        <div key={index} style={styles[line.kind]}>
          {marks[line.kind]} {line.text}
        </div>
      ))}
    </Box>
  );
}
