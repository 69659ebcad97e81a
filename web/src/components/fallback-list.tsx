import { ActionIcon, Autocomplete, Button, Group, Select, Stack, Text } from '@mantine/core';
import type { AgentFallback, AgentProvider } from '../api/api-types.ts';
import { useModelCatalog } from '../hooks/use-model-catalog.ts';
import { agentProviders } from '../lib/model-catalog.ts';

/** Models tried in order when the primary one keeps failing after its retries. */
export function FallbackList(props: { value: AgentFallback[]; onChange: (value: AgentFallback[]) => void }) {
  const modelCatalog = useModelCatalog();
  const update = (index: number, change: Partial<AgentFallback>) =>
    props.onChange(props.value.map((fallback, at) => (at === index ? { ...fallback, ...change } : fallback)));
  return (
    <Stack gap="xs">
      <Text size="sm" fw={500}>
        Fallbacks
      </Text>
      {props.value.length === 0 ? (
        <Text size="xs" c="dimmed">
          None: a run fails when the primary model fails after its retries.
        </Text>
      ) : null}
      {props.value.map((fallback, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the order is the meaning
        <Group key={index} gap="xs" wrap="wrap">
          <Text size="sm" w={16}>
            {index + 1}.
          </Text>
          <Select
            aria-label={`Fallback ${index + 1} provider`}
            size="xs"
            w={170}
            data={agentProviders}
            value={fallback.provider}
            allowDeselect={false}
            onChange={(value) => update(index, { provider: (value ?? 'openai') as AgentProvider })}
          />
          <Autocomplete
            aria-label={`Fallback ${index + 1} model`}
            size="xs"
            w={180}
            data={modelCatalog[fallback.provider]}
            value={fallback.model}
            onChange={(model) => update(index, { model })}
          />
          <ActionIcon
            variant="subtle"
            color="red"
            aria-label={`Remove fallback ${index + 1}`}
            onClick={() => props.onChange(props.value.filter((_, at) => at !== index))}
          >
            ×
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button
          size="xs"
          variant="light"
          disabled={props.value.length >= 5}
          onClick={() =>
            props.onChange([
              ...props.value,
              { provider: 'openai', model: 'gpt-4o-mini', providerKeyId: null },
            ])
          }
        >
          Add fallback
        </Button>
      </Group>
    </Stack>
  );
}
