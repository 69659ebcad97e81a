import { List, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'paragraph'; text: string };

/** Splits light Markdown (headings, bullet lists, paragraphs) into blocks; everything else stays text. */
function blocksOf(text: string): Block[] {
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) blocks.push({ kind: 'paragraph', text: paragraph.join(' ') });
    paragraph = [];
  };
  for (const line of text.split('\n')) {
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      blocks.push({ kind: 'heading', level: heading[1]?.length ?? 1, text: heading[2] ?? '' });
    } else if (bullet) {
      flush();
      const last = blocks.at(-1);
      if (last?.kind === 'list') last.items.push(bullet[1] ?? '');
      else blocks.push({ kind: 'list', items: [bullet[1] ?? ''] });
    } else if (line.trim() === '') {
      flush();
    } else {
      paragraph.push(line.trim());
    }
  }
  flush();
  return blocks;
}

/**
 * A draft as formatted text. Built from React elements, never from HTML, so model output cannot
 * inject markup into the console.
 */
export function FormattedText(props: { text: string }): ReactNode {
  return (
    <Stack gap="xs">
      {blocksOf(props.text).map((block, index) => {
        const key = `${index}-${block.kind}`;
        if (block.kind === 'heading')
          return (
            <Title key={key} order={Math.min(6, block.level + 2) as 3 | 4 | 5 | 6}>
              {block.text}
            </Title>
          );
        if (block.kind === 'list')
          return (
            <List key={key} size="sm">
              {block.items.map((item, at) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: list items of a text are positional
                <List.Item key={at}>{item}</List.Item>
              ))}
            </List>
          );
        return (
          <Text key={key} size="sm">
            {block.text}
          </Text>
        );
      })}
    </Stack>
  );
}
