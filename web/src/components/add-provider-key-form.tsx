import {
  Alert,
  Button,
  Group,
  Paper,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormEvent, useId, useState } from 'react';
import { type KeyProvider, keyProviders } from '../api/api-types.ts';
import { fieldErrorsOf } from '../api/field-errors.ts';
import { useProviderKeyMutations } from '../hooks/use-settings-resources.ts';
import { formatMs } from '../lib/format.ts';
import { ErrorAlert } from './error-alert.tsx';

const emptyForm = { provider: 'openai' as KeyProvider, label: '', apiKey: '', baseUrl: '' };

/** Add a key: test the connection first if you like, then save; the secret field is cleared on save. */
export function AddProviderKeyForm(props: { workspaceId: string }) {
  // Mantine 9's PasswordInput ties its label to the input only with an explicit id.
  const passwordId = useId();
  const [form, setForm] = useState(emptyForm);
  const mutations = useProviderKeyMutations(props.workspaceId);
  const needsBaseUrl = form.provider === 'openai-compatible';
  const connection = {
    provider: form.provider,
    apiKey: form.apiKey,
    baseUrl: form.baseUrl.trim() === '' ? null : form.baseUrl.trim(),
  };
  const tested = mutations.testUnsaved.data;
  const fieldNames = ['provider', 'label', 'apiKey', 'baseUrl'] as const;
  const labels = { apiKey: 'Secret', baseUrl: 'Base URL' };
  // Whichever of testing and saving was tried last speaks for the fields.
  const errors = fieldErrorsOf(
    mutations.create.error ?? mutations.testUnsaved.error,
    fieldNames,
    labels,
  ).fields;

  const save = async (event: FormEvent) => {
    event.preventDefault();
    mutations.testUnsaved.reset();
    await mutations.create.mutateAsync({ ...connection, label: form.label });
    // Drop the secret from memory and the DOM as soon as the server has it.
    setForm(emptyForm);
    mutations.testUnsaved.reset();
  };

  return (
    <Paper withBorder p="md">
      <form onSubmit={(event) => void save(event).catch(() => undefined)} aria-label="Add a provider key">
        <Stack>
          <Title order={4}>Add a key</Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select
              label="Provider"
              data={keyProviders.map((provider) => ({ value: provider, label: provider }))}
              value={form.provider}
              allowDeselect={false}
              error={errors.provider}
              onChange={(value) => setForm({ ...form, provider: (value ?? 'openai') as KeyProvider })}
            />
            <TextInput
              label="Label"
              required
              placeholder="Production OpenAI"
              value={form.label}
              error={errors.label}
              onChange={(event) => setForm({ ...form, label: event.currentTarget.value })}
            />
            <PasswordInput
              id={passwordId}
              label="Secret"
              required
              autoComplete="off"
              visibilityToggleButtonProps={{ 'aria-label': 'Show or hide the secret' }}
              value={form.apiKey}
              error={errors.apiKey}
              onChange={(event) => setForm({ ...form, apiKey: event.currentTarget.value })}
            />
            <TextInput
              label="Base URL"
              description={needsBaseUrl ? 'The endpoint, e.g. https://api.groq.com/openai/v1' : 'Optional'}
              required={needsBaseUrl}
              placeholder="https://…/v1"
              value={form.baseUrl}
              error={errors.baseUrl}
              onChange={(event) => setForm({ ...form, baseUrl: event.currentTarget.value })}
            />
          </SimpleGrid>
          {tested ? (
            <Alert
              color={tested.ok ? 'green' : 'red'}
              title={tested.ok ? 'Connection works' : 'Connection failed'}
              data-testid="key-test-result"
            >
              {tested.ok
                ? `The provider answered in ${formatMs(tested.latencyMs)}.`
                : `${tested.message ?? 'The provider refused the key.'} (${tested.errorCode ?? tested.statusCode ?? 'error'})`}
            </Alert>
          ) : null}
          <ErrorAlert
            error={mutations.testUnsaved.error}
            title="Could not test the key"
            fields={fieldNames}
          />
          <ErrorAlert error={mutations.create.error} title="Could not save the key" fields={fieldNames} />
          <Group justify="flex-end">
            <Button
              variant="default"
              loading={mutations.testUnsaved.isPending}
              disabled={form.apiKey.trim() === ''}
              onClick={() => {
                // A new attempt: the last save's problem is no longer the news.
                mutations.create.reset();
                mutations.testUnsaved.mutate(connection);
              }}
            >
              Test connection
            </Button>
            <Button type="submit" loading={mutations.create.isPending}>
              Save key
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
