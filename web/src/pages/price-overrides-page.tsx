import {
  Alert,
  Autocomplete,
  Button,
  Group,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { type FormEvent, useState } from 'react';
import type { KeyProvider, PriceOverride } from '../api/api-types.ts';
import { keyProviders } from '../api/api-types.ts';
import { fieldErrorsOf } from '../api/field-errors.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { useCatalogPrices } from '../hooks/use-model-catalog.ts';
import { usePermission } from '../hooks/use-permission.ts';
import { useUpdateWorkspace, useWorkspace } from '../hooks/use-settings-resources.ts';
import { formatUsd } from '../lib/format.ts';

/** Prices as typed: strings until saved, so 0.000011 is never rounded on the way (NumberInput keeps text). */
interface Draft {
  model: string;
  provider: KeyProvider | '';
  inputPerMillionUsd: number | string;
  outputPerMillionUsd: number | string;
  cachedInputPerMillionUsd: number | string;
}

const emptyDraft: Draft = {
  model: '',
  provider: '',
  inputPerMillionUsd: '',
  outputPerMillionUsd: '',
  cachedInputPerMillionUsd: '',
};

const priceFields = [
  'model',
  'provider',
  'inputPerMillionUsd',
  'outputPerMillionUsd',
  'cachedInputPerMillionUsd',
] as const;
const priceLabels = {
  inputPerMillionUsd: 'Input price',
  outputPerMillionUsd: 'Output price',
  cachedInputPerMillionUsd: 'Cached input price',
};

function draftOf(entry: PriceOverride): Draft {
  return {
    model: entry.model,
    provider: entry.provider ?? '',
    inputPerMillionUsd: entry.inputPerMillionUsd,
    outputPerMillionUsd: entry.outputPerMillionUsd,
    cachedInputPerMillionUsd: entry.cachedInputPerMillionUsd ?? '',
  };
}

/** The entry as the API takes it; an empty price is sent as typed so the server names it. */
function entryOf(draft: Draft): PriceOverride {
  const entry: PriceOverride = {
    model: draft.model.trim(),
    inputPerMillionUsd: draft.inputPerMillionUsd === '' ? Number.NaN : Number(draft.inputPerMillionUsd),
    outputPerMillionUsd: draft.outputPerMillionUsd === '' ? Number.NaN : Number(draft.outputPerMillionUsd),
  };
  if (draft.provider !== '') entry.provider = draft.provider;
  if (draft.cachedInputPerMillionUsd !== '')
    entry.cachedInputPerMillionUsd = Number(draft.cachedInputPerMillionUsd);
  return entry;
}

const perMillion = (value: number | undefined | null) =>
  value === undefined || value === null ? '—' : `${formatUsd(value)} / M`;

/**
 * Model prices: the workspace's own price per million tokens for models the catalog does not know
 * (custom endpoints, new models) or prices differently, with the catalog's list price beside each.
 * Without a price, a live run of an unknown model under a budget is refused (`price_unknown`).
 */
export function PriceOverridesPage(props: { workspaceId: string }) {
  const workspace = useWorkspace(props.workspaceId);
  const update = useUpdateWorkspace(props.workspaceId);
  const catalog = useCatalogPrices();
  const canManage = usePermission(props.workspaceId, 'manage_settings');
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  /** Which entry the form edits; null adds a new one. */
  const [editing, setEditing] = useState<number | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const overrides = workspace.data?.settings.priceOverrides ?? [];
  const formIndex = editing ?? overrides.length;
  const pointerPrefix = `/settings/priceOverrides/${formIndex}`;
  const errors = fieldErrorsOf(update.error, priceFields, priceLabels, pointerPrefix).fields;
  const known = catalog.get(draft.model.trim());

  const save = (list: PriceOverride[], message: string, after?: () => void) => {
    setSaved(null);
    update.mutate(
      { settings: { priceOverrides: list } },
      {
        onSuccess: () => {
          setSaved(message);
          after?.();
        },
      },
    );
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const entry = entryOf(draft);
    const list = [...overrides];
    if (editing === null) list.push(entry);
    else list[editing] = entry;
    save(list, `Price for ${entry.model} saved.`, () => {
      setDraft(emptyDraft);
      setEditing(null);
    });
  };

  return (
    <Stack>
      <Title order={2}>Model prices</Title>
      <Text size="sm" c="dimmed" maw={760}>
        Your own price per million tokens for models the price catalog does not know (custom endpoints, new
        models) or that you pay differently for. Executions of a model with a price here are costed with it;
        without one they show as "not priced", and a live run under a budget is refused until a price is set.
        Leave the provider empty to price the model on every provider.
      </Text>
      <ErrorAlert error={workspace.error} />
      {workspace.isPending ? (
        <TableSkeleton rows={3} />
      ) : overrides.length === 0 ? (
        <EmptyState title="No price overrides">
          Every model is priced from the catalog; models it does not know show as "not priced".
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={860}>
          <Table data-testid="price-overrides-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Model</Table.Th>
                <Table.Th>Provider</Table.Th>
                <Table.Th>Input</Table.Th>
                <Table.Th>Output</Table.Th>
                <Table.Th>Cached input</Table.Th>
                <Table.Th>Catalog price (in / out)</Table.Th>
                {canManage ? <Table.Th>Actions</Table.Th> : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {overrides.map((entry, index) => {
                const listed = catalog.get(entry.model);
                return (
                  <Table.Tr key={`${entry.provider ?? '*'}/${entry.model}`} data-testid="price-override-row">
                    <Table.Td>
                      <Text ff="monospace" size="sm" style={{ wordBreak: 'break-all' }}>
                        {entry.model}
                      </Text>
                    </Table.Td>
                    <Table.Td>{entry.provider ?? 'any'}</Table.Td>
                    <Table.Td data-testid="price-input">{perMillion(entry.inputPerMillionUsd)}</Table.Td>
                    <Table.Td data-testid="price-output">{perMillion(entry.outputPerMillionUsd)}</Table.Td>
                    <Table.Td>{perMillion(entry.cachedInputPerMillionUsd)}</Table.Td>
                    <Table.Td>
                      {listed ? (
                        <Text size="sm">
                          {perMillion(listed.inputPerMillionUsd)} / {perMillion(listed.outputPerMillionUsd)}
                        </Text>
                      ) : (
                        <Text size="sm" c="dimmed">
                          not in the catalog
                        </Text>
                      )}
                    </Table.Td>
                    {canManage ? (
                      <Table.Td>
                        <Group gap={6} wrap="nowrap">
                          <Button
                            size="xs"
                            variant="light"
                            aria-label={`Edit the price of ${entry.model}`}
                            onClick={() => {
                              update.reset();
                              setSaved(null);
                              setEditing(index);
                              setDraft(draftOf(entry));
                            }}
                          >
                            Edit
                          </Button>
                          <ConfirmButton
                            label="Remove"
                            aria-label={`Remove the price of ${entry.model}`}
                            title={`Remove the price of ${entry.model}?`}
                            message="Its executions are priced from the catalog again, or show as not priced."
                            onConfirm={() =>
                              update.mutateAsync({
                                settings: { priceOverrides: overrides.filter((_, other) => other !== index) },
                              })
                            }
                          />
                        </Group>
                      </Table.Td>
                    ) : null}
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {canManage ? (
        <Paper withBorder p="md" maw={760}>
          <form onSubmit={submit} aria-label={editing === null ? 'Add a price' : 'Edit a price'}>
            <Stack gap="sm">
              <Title order={4}>{editing === null ? 'Add a price' : `Edit the price of ${draft.model}`}</Title>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <Autocomplete
                  label="Model"
                  required
                  placeholder="house-model-13b"
                  data={[...catalog.keys()]}
                  limit={20}
                  value={draft.model}
                  error={errors.model}
                  onChange={(value) => setDraft({ ...draft, model: value })}
                />
                <Select
                  label="Provider"
                  placeholder="any provider"
                  clearable
                  data={keyProviders.map((provider) => ({ value: provider, label: provider }))}
                  value={draft.provider === '' ? null : draft.provider}
                  error={errors.provider}
                  onChange={(value) => setDraft({ ...draft, provider: (value ?? '') as KeyProvider | '' })}
                />
              </SimpleGrid>
              <Text size="sm" c="dimmed" data-testid="catalog-price">
                {known
                  ? `Catalog price of ${known.id} (${known.provider}): ${perMillion(known.inputPerMillionUsd)} input, ${perMillion(known.outputPerMillionUsd)} output${known.cachedInputPerMillionUsd === null ? '' : `, ${perMillion(known.cachedInputPerMillionUsd)} cached input`}.`
                  : draft.model.trim() === ''
                    ? 'Pick a catalog model to see its list price, or type any model name.'
                    : 'Not in the catalog: without a price here, its executions are not priced.'}
              </Text>
              <SimpleGrid cols={{ base: 1, sm: 3 }}>
                <NumberInput
                  label="Input (USD per million tokens)"
                  required
                  min={0}
                  decimalScale={9}
                  value={draft.inputPerMillionUsd}
                  error={errors.inputPerMillionUsd}
                  onChange={(value) => setDraft({ ...draft, inputPerMillionUsd: value })}
                />
                <NumberInput
                  label="Output (USD per million tokens)"
                  required
                  min={0}
                  decimalScale={9}
                  value={draft.outputPerMillionUsd}
                  error={errors.outputPerMillionUsd}
                  onChange={(value) => setDraft({ ...draft, outputPerMillionUsd: value })}
                />
                <NumberInput
                  label="Cached input (optional)"
                  min={0}
                  decimalScale={9}
                  value={draft.cachedInputPerMillionUsd}
                  error={errors.cachedInputPerMillionUsd}
                  onChange={(value) => setDraft({ ...draft, cachedInputPerMillionUsd: value })}
                />
              </SimpleGrid>
              <ErrorAlert
                error={update.error}
                title="Could not save the price"
                fields={priceFields}
                pointerPrefix={pointerPrefix}
              />
              {saved ? (
                <Alert color="green" data-testid="price-saved">
                  {saved}
                </Alert>
              ) : null}
              <Group justify="flex-end">
                {editing !== null ? (
                  <Button
                    variant="default"
                    onClick={() => {
                      update.reset();
                      setEditing(null);
                      setDraft(emptyDraft);
                    }}
                  >
                    Cancel
                  </Button>
                ) : null}
                <Button type="submit" loading={update.isPending}>
                  {editing === null ? 'Add price' : 'Save price'}
                </Button>
              </Group>
            </Stack>
          </form>
        </Paper>
      ) : null}
    </Stack>
  );
}
