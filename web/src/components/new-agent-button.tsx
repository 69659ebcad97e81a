import { Autocomplete, Button, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import type { AgentProvider } from '../api/api-types.ts';
import { useAgentMutations } from '../hooks/use-agents.ts';
import { useModelCatalog } from '../hooks/use-model-catalog.ts';
import { useWorkflowMutations } from '../hooks/use-workflows.ts';
import { agentTemplates, notifierTemplate } from '../lib/agent-templates.ts';
import { agentProviders } from '../lib/model-catalog.ts';
import { notifierWorkflow } from '../lib/workflow-templates.ts';
import { navigate } from '../router/navigation.ts';
import { ErrorAlert } from './error-alert.tsx';

const blank = 'blank';
const templateOptions = [
  { value: blank, label: 'Blank agent' },
  ...agentTemplates.map((template) => ({ value: template.id, label: template.title })),
  { value: notifierTemplate.id, label: notifierTemplate.title },
];

/**
 * Creates an agent from a template (or blank) and the provider and model to run it on, then opens
 * the builder. The notifier template is an HTTP step, so it makes a one-step workflow instead.
 */
export function NewAgentButton(props: { workspaceId: string }) {
  const modelCatalog = useModelCatalog();
  const [open, setOpen] = useState(false);
  const [templateId, setTemplateId] = useState(blank);
  const [name, setName] = useState('');
  const [provider, setProvider] = useState<AgentProvider>('openai');
  const [model, setModel] = useState('gpt-4o-mini');
  const [notifyUrl, setNotifyUrl] = useState('');
  const { create } = useAgentMutations(props.workspaceId);
  const workflows = useWorkflowMutations(props.workspaceId);
  const template = agentTemplates.find((candidate) => candidate.id === templateId) ?? null;
  const notifier = templateId === notifierTemplate.id;
  const summary =
    template?.summary ??
    (notifier ? notifierTemplate.summary : 'An agent over one text field; shape it in the builder.');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (notifier) {
      const workflow = await workflows.create.mutateAsync({
        ...notifierWorkflow(notifyUrl),
        name: name || 'Notifier',
      });
      setOpen(false);
      navigate(`/w/${props.workspaceId}/workflows/${workflow.id}`);
      return;
    }
    const agent = await create.mutateAsync(
      template
        ? { ...template.agent, name: name || template.agent.name, provider, model }
        : {
            name,
            provider,
            model,
            promptTemplate: '{{ input.text }}',
            inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
          },
    );
    setOpen(false);
    navigate(`/w/${props.workspaceId}/agents/${agent.id}`);
  };
  return (
    <>
      <Button onClick={() => setOpen(true)}>New agent</Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="New agent">
        <form onSubmit={(event) => void submit(event).catch(() => undefined)}>
          <Stack>
            <Select
              label="Template"
              description={summary}
              data={templateOptions}
              value={templateId}
              allowDeselect={false}
              onChange={(value) => setTemplateId(value ?? blank)}
              data-testid="agent-template"
            />
            <TextInput
              label="Name"
              required={!template && !notifier}
              placeholder={template?.agent.name ?? (notifier ? 'Notifier' : undefined)}
              data-autofocus
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
            />
            {notifier ? (
              <TextInput
                label="Webhook URL"
                description="Where the notifier posts. Private addresses need FLIGHTDECK_ALLOWED_PROVIDER_HOSTS."
                type="url"
                required
                value={notifyUrl}
                onChange={(event) => setNotifyUrl(event.currentTarget.value)}
              />
            ) : (
              <>
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
              </>
            )}
            {template?.agent.approval === 'required' ? (
              <Text size="sm" c="dimmed">
                Every output of this agent waits in the approvals inbox before any later step uses it.
              </Text>
            ) : null}
            <ErrorAlert error={create.error ?? workflows.create.error} title="Could not create it" />
            <Button type="submit" loading={create.isPending || workflows.create.isPending}>
              {notifier ? 'Create the workflow and open it' : 'Create and open the builder'}
            </Button>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
