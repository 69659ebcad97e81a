import { Autocomplete, Button, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { AgentProvider } from '../api/api-types.ts';
import { api } from '../hooks/api.ts';
import { agentKeys } from '../hooks/use-agents.ts';
import { useModelCatalog } from '../hooks/use-model-catalog.ts';
import { workflowKeys } from '../hooks/use-workflows.ts';
import { agentTemplates } from '../lib/agent-templates.ts';
import { agentProviders } from '../lib/model-catalog.ts';
import { securityReviewTemplate } from '../lib/workflow-templates.ts';
import { navigate } from '../router/navigation.ts';
import { ErrorAlert } from './error-alert.tsx';

/**
 * Makes the security review diamond: its agents are reused when the workspace has them (by the
 * templates' slugs) and made from the agent templates otherwise; then the builder opens on it.
 */
export function WorkflowTemplateButton(props: { workspaceId: string }) {
  const { workspaceId } = props;
  const template = securityReviewTemplate;
  const modelCatalog = useModelCatalog();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [provider, setProvider] = useState<AgentProvider>('openai');
  const [model, setModel] = useState('gpt-4o-mini');
  const [notifyUrl, setNotifyUrl] = useState('');
  const create = useMutation({
    mutationFn: async () => {
      const agentSlugs: Record<string, string> = {};
      for (const [stepId, templateId] of Object.entries(template.agentTemplates)) {
        const agentTemplate = agentTemplates.find((candidate) => candidate.id === templateId);
        if (!agentTemplate) continue;
        const existing = await api.listAgents(workspaceId, { q: templateId, limit: 50 });
        const found = existing.items.find((agent) => agent.slug === templateId);
        agentSlugs[stepId] = found
          ? found.slug
          : (
              await api.createAgent(workspaceId, {
                ...agentTemplate.agent,
                slug: templateId,
                provider,
                model,
              })
            ).slug;
      }
      return api.createWorkflow(workspaceId, template.definition({ notifyUrl, agentSlugs }));
    },
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: agentKeys.all(workspaceId) }),
        queryClient.invalidateQueries({ queryKey: workflowKeys.all(workspaceId) }),
      ]),
  });
  return (
    <>
      <Button variant="light" onClick={() => setOpen(true)}>
        From a template
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={template.title} size="lg">
        <form
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate(undefined, {
              onSuccess: (workflow) => navigate(`/w/${workspaceId}/workflows/${workflow.id}`),
            });
          }}
        >
          <Stack>
            <Text size="sm">{template.summary}</Text>
            <Text size="sm" c="dimmed">
              The scanner, compliance checker and code reviewer are made from their agent templates unless the
              workspace already has them (slugs security-scanner, compliance-checker, code-reviewer).
            </Text>
            <Select
              label="Provider for new agents"
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
              label="Model for new agents"
              required
              data={modelCatalog[provider]}
              value={model}
              onChange={setModel}
            />
            <TextInput
              label="Notify URL"
              description="The notify step posts the repo and both verdicts here."
              type="url"
              required
              value={notifyUrl}
              onChange={(event) => setNotifyUrl(event.currentTarget.value)}
            />
            <ErrorAlert error={create.error} title="Could not create the workflow" />
            <Button type="submit" loading={create.isPending}>
              Create the workflow and open it
            </Button>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
