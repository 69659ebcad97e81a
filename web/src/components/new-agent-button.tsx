import { Autocomplete, Button, Modal, Select, Stack, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import type { AgentProvider } from '../api/api-types.ts';
import { useAgentMutations } from '../hooks/use-agents.ts';
import { useModelCatalog } from '../hooks/use-model-catalog.ts';
import { agentProviders } from '../lib/model-catalog.ts';
import { navigate } from '../router/navigation.ts';
import { ErrorAlert } from './error-alert.tsx';

/** Creates an agent from the three things it cannot do without, then opens the builder. */
export function NewAgentButton(props: { workspaceId: string }) {
  const modelCatalog = useModelCatalog();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [provider, setProvider] = useState<AgentProvider>('openai');
  const [model, setModel] = useState('gpt-4o-mini');
  const { create } = useAgentMutations(props.workspaceId);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const agent = await create.mutateAsync({
      name,
      provider,
      model,
      promptTemplate: '{{ input.text }}',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    });
    setOpen(false);
    navigate(`/w/${props.workspaceId}/agents/${agent.id}`);
  };
  return (
    <>
      <Button onClick={() => setOpen(true)}>New agent</Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="New agent">
        <form onSubmit={(event) => void submit(event).catch(() => undefined)}>
          <Stack>
            <TextInput
              label="Name"
              required
              data-autofocus
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
            />
            <Select
              label="Provider"
              data={agentProviders}
              value={provider}
              allowDeselect={false}
              onChange={(value) => {
                const next = (value ?? 'openai') as AgentProvider;
                setProvider(next);
                setModel(modelCatalog[next][0] ?? '');
              }}
            />
            <Autocomplete
              label="Model"
              description="Pick one or type any model name."
              required
              data={modelCatalog[provider]}
              value={model}
              onChange={setModel}
            />
            <ErrorAlert error={create.error} title="Could not create the agent" />
            <Button type="submit" loading={create.isPending}>
              Create and open the builder
            </Button>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
