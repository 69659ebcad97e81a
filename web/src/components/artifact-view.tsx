import { Anchor, Badge, Code, Group, Paper, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { formatJson } from '../lib/format.ts';
import { FormattedText } from './formatted-text.tsx';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string =>
  typeof value === 'string' ? value : value == null ? '' : formatJson(value);

/** Only http(s) links become anchors: a model-written `javascript:` URL stays plain text. */
function safeUrl(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

function Confidence(props: { value: unknown }) {
  if (typeof props.value !== 'number') return null;
  const share = props.value > 1 ? props.value / 100 : props.value;
  const color = share >= 0.8 ? 'green' : share >= 0.5 ? 'yellow' : 'red';
  return (
    <Group gap="xs" wrap="nowrap" data-testid="artifact-confidence">
      <Text size="xs" c="dimmed">
        confidence
      </Text>
      <Progress
        value={share * 100}
        color={color}
        w={80}
        aria-label={`Confidence ${Math.round(share * 100)}%`}
      />
      <Text size="xs" fw={600}>
        {Math.round(share * 100)}%
      </Text>
    </Group>
  );
}

function Sources(props: { value: unknown }) {
  if (!Array.isArray(props.value) || props.value.length === 0) return null;
  return (
    <Stack gap={2} data-testid="artifact-sources">
      <Text size="xs" c="dimmed" fw={600}>
        Sources
      </Text>
      {props.value.map((source, index) => {
        const url = safeUrl(isObject(source) ? source.url : source);
        const title = isObject(source) ? text(source.title ?? source.name ?? source.url) : text(source);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: sources of a finding are positional
          <Text size="sm" key={index}>
            {url ? (
              <Anchor href={url} target="_blank" rel="noreferrer noopener">
                {title || url}
              </Anchor>
            ) : (
              title
            )}
          </Text>
        );
      })}
    </Stack>
  );
}

function ResearchFinding(props: { content: Json }) {
  const findings = Array.isArray(props.content.findings) ? props.content.findings : [props.content];
  return (
    <Stack gap="sm">
      {typeof props.content.summary === 'string' && Array.isArray(props.content.findings) ? (
        <Text size="sm">{props.content.summary}</Text>
      ) : null}
      {findings.map((finding, index) => {
        const item: Json = isObject(finding) ? finding : { claim: finding };
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: findings are positional
          <Paper key={index} withBorder p="sm" data-testid="artifact-finding">
            <Stack gap={6}>
              <Text fw={600} size="sm">
                {text(item.claim ?? item.finding ?? item.title ?? item.summary)}
              </Text>
              <Confidence value={item.confidence} />
              <Sources value={item.sources} />
            </Stack>
          </Paper>
        );
      })}
      {Array.isArray(props.content.findings) ? <Confidence value={props.content.confidence} /> : null}
    </Stack>
  );
}

function ContentDraft(props: { content: Json }) {
  const body = props.content.body ?? props.content.text ?? props.content.content ?? props.content.draft;
  return (
    <Stack gap="xs" data-testid="artifact-draft">
      {props.content.title ? <Title order={3}>{text(props.content.title)}</Title> : null}
      <FormattedText text={text(body)} />
    </Stack>
  );
}

function Report(props: { content: Json }) {
  const sections = Array.isArray(props.content.sections) ? props.content.sections : [];
  const metrics = isObject(props.content.metrics) ? props.content.metrics : null;
  return (
    <Stack gap="sm" data-testid="artifact-report">
      {props.content.title ? <Title order={3}>{text(props.content.title)}</Title> : null}
      {props.content.summary ? <FormattedText text={text(props.content.summary)} /> : null}
      {metrics ? (
        <Table withTableBorder maw={420}>
          <Table.Tbody>
            {Object.entries(metrics).map(([name, value]) => (
              <Table.Tr key={name}>
                <Table.Td>{name}</Table.Td>
                <Table.Td fw={600}>{text(value)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {sections.map((section, index) => {
        const item: Json = isObject(section) ? section : { body: section };
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: sections are positional
          <Stack key={index} gap={4}>
            {item.heading || item.title ? <Title order={4}>{text(item.heading ?? item.title)}</Title> : null}
            <FormattedText text={text(item.body ?? item.content)} />
          </Stack>
        );
      })}
    </Stack>
  );
}

/** A step output rendered by its artifact type; unknown types and odd shapes fall back to JSON. */
export function ArtifactView(props: { type: string; content: unknown }) {
  const { content } = props;
  let body: React.ReactNode;
  if (isObject(content) && props.type === 'research_finding') body = <ResearchFinding content={content} />;
  else if (props.type === 'content_draft' && typeof content === 'string')
    body = <FormattedText text={content} />;
  else if (isObject(content) && props.type === 'content_draft') body = <ContentDraft content={content} />;
  else if (isObject(content) && props.type === 'report') body = <Report content={content} />;
  else
    body = (
      <Code block data-testid="artifact-json">
        {formatJson(content)}
      </Code>
    );
  return (
    <Stack gap="xs" data-testid="artifact-view" data-type={props.type}>
      <Badge variant="outline" size="sm">
        {props.type.replace(/_/g, ' ')}
      </Badge>
      {body}
    </Stack>
  );
}
