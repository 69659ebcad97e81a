import {
  Alert,
  Badge,
  Button,
  Grid,
  Group,
  List,
  Paper,
  Stack,
  Tabs,
  Text,
  TextInput,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useRef, useState } from 'react';
import type { Workflow, WorkflowDefinition } from '../api/workflow-types.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { ErrorAlert } from '../components/error-alert.tsx';
import { RunWorkflowButton } from '../components/run-workflow-button.tsx';
import { StepInspector } from '../components/step-inspector.tsx';
import { TableSkeleton } from '../components/table-skeleton.tsx';
import { type CanvasMemory, WorkflowCanvas } from '../components/workflow-canvas.tsx';
import { WorkflowJsonView } from '../components/workflow-json-view.tsx';
import { WorkflowSettingsPanel } from '../components/workflow-settings-panel.tsx';
import { useAgents } from '../hooks/use-agents.ts';
import { usePermission } from '../hooks/use-permission.ts';
import { useWorkflowValidation } from '../hooks/use-workflow-validation.ts';
import { useWorkflow, useWorkflowMutations } from '../hooks/use-workflows.ts';
import { addStep, definitionOf, emptyDefinition } from '../lib/workflow-draft.ts';
import { Link } from '../router/link.tsx';
import { navigate } from '../router/navigation.ts';

/** `/w/:ws/workflows/new` and `/w/:ws/workflows/:id`: the builder, loaded on demand (React Flow lives here). */
export function WorkflowBuilderPage(props: { workspaceId: string; workflowId: string | null }) {
  const workflow = useWorkflow(props.workspaceId, props.workflowId);
  // The draft that was just created stays mounted under its new URL (selection, layout, notice kept).
  const createdHere = useRef<string | null>(null);
  const builderKey = props.workflowId && props.workflowId !== createdHere.current ? props.workflowId : 'new';
  const listPath = `/w/${props.workspaceId}/workflows`;
  if (props.workflowId && workflow.error) {
    return (
      <Stack>
        <ErrorAlert error={workflow.error} />
        <Link href={listPath}>Back to workflows</Link>
      </Stack>
    );
  }
  if (props.workflowId && !workflow.data) return <TableSkeleton rows={8} />;
  return (
    <ReactFlowProvider>
      <WorkflowBuilder
        key={builderKey}
        workspaceId={props.workspaceId}
        workflow={workflow.data ?? null}
        onCreated={(id) => {
          createdHere.current = id;
        }}
      />
    </ReactFlowProvider>
  );
}

function WorkflowBuilder(props: {
  workspaceId: string;
  workflow: Workflow | null;
  onCreated: (workflowId: string) => void;
}) {
  const { workspaceId, workflow } = props;
  const [definition, setDefinition] = useState<WorkflowDefinition>(() =>
    workflow ? definitionOf(workflow) : emptyDefinition(),
  );
  const [savedText, setSavedText] = useState(() => JSON.stringify(definition));
  const [selectedStepId, setSelectedStepId] = useState<string | null>(null);
  const [tab, setTab] = useState<string | null>('graph');
  const [layoutRequest, setLayoutRequest] = useState(0);
  const [revision, setRevision] = useState(0);
  const [schemaValid, setSchemaValid] = useState(true);
  const [savedNotice, setSavedNotice] = useState<string | null>(null);
  const memory = useRef<CanvasMemory>({ positions: new Map(), laidOut: -1 });
  const agents = useAgents(workspaceId, { limit: 200 });
  const agentList = agents.data?.items ?? [];
  const validation = useWorkflowValidation(workspaceId, definition);
  const mutations = useWorkflowMutations(workspaceId);
  const canEdit = usePermission(workspaceId, 'edit_agents');
  const dirty = JSON.stringify(definition) !== savedText;
  const saving = mutations.create.isPending || mutations.update.isPending;
  const saveError = workflow ? mutations.update.error : mutations.create.error;

  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const change = (next: WorkflowDefinition) => {
    setDefinition(next);
    setSavedNotice(null);
  };
  /** From the JSON view: the graph lays itself out again and the settings editors re-read. */
  const replace = (next: WorkflowDefinition) => {
    change(next);
    setRevision((value) => value + 1);
    if (selectedStepId && !next.steps.some((step) => step.id === selectedStepId)) setSelectedStepId(null);
  };
  const add = (kind: 'agent' | 'http') => {
    const added = addStep(definition, kind);
    change(added.definition);
    setSelectedStepId(added.stepId);
  };
  const save = async () => {
    const body = { ...definition, name: definition.name.trim() };
    const result = workflow
      ? await mutations.update.mutateAsync({ workflowId: workflow.id, definition: body })
      : await mutations.create.mutateAsync(body);
    const stored = definitionOf(result);
    setDefinition(stored);
    setSavedText(JSON.stringify(stored));
    setSavedNotice(`Saved as version ${result.version}.`);
    if (!workflow) {
      props.onCreated(result.id);
      navigate(`/w/${workspaceId}/workflows/${result.id}`, { replace: true });
    }
  };

  const problemCount = validation.problems.length;
  const nameMissing = definition.name.trim() === '';
  const cannotSaveBecause = !canEdit
    ? 'Your role cannot change workflows.'
    : nameMissing
      ? 'Name the workflow first.'
      : definition.steps.length === 0
        ? 'Add at least one step.'
        : !schemaValid
          ? 'Fix the run input schema JSON first.'
          : null;

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap" align="flex-start">
        <div>
          <Link href={`/w/${workspaceId}/workflows`} size="sm">
            ← Workflows
          </Link>
          <Title order={2}>{definition.name.trim() || (workflow ? workflow.name : 'New workflow')}</Title>
          <Text size="sm" c="dimmed">
            {workflow ? `${workflow.slug} · version ${workflow.version}` : 'Not saved yet'}
            {dirty ? ' · unsaved changes' : ''}
          </Text>
        </div>
        <Group gap="xs">
          <ValidationStatus
            checking={validation.checking}
            problems={problemCount}
            empty={definition.steps.length === 0}
            current={validation.current}
          />
          {workflow ? (
            <>
              <RunWorkflowButton
                workspaceId={workspaceId}
                workflow={workflow}
                variant="light"
                disabledReason={dirty ? 'Save first: a run uses the saved version.' : null}
              />
              <Button
                size="xs"
                variant="default"
                component="a"
                href={`/w/${workspaceId}/runs?workflowId=${workflow.id}`}
                onClick={(event) => {
                  event.preventDefault();
                  navigate(`/w/${workspaceId}/runs?workflowId=${workflow.id}`);
                }}
              >
                Runs
              </Button>
            </>
          ) : null}
          <Button
            size="xs"
            onClick={() => void save().catch(() => undefined)}
            loading={saving}
            disabled={cannotSaveBecause !== null || (!dirty && workflow !== null)}
            title={cannotSaveBecause ?? undefined}
          >
            {workflow ? 'Save new version' : 'Save workflow'}
          </Button>
          {workflow && canEdit ? (
            <ConfirmButton
              label="Delete"
              title={`Delete ${workflow.name}?`}
              message="Its runs and versions stay readable; its webhook URL and schedule stop at once."
              onConfirm={async () => {
                await mutations.remove.mutateAsync(workflow.id);
                setSavedText(JSON.stringify(definition));
                navigate(`/w/${workspaceId}/workflows`);
              }}
            />
          ) : null}
        </Group>
      </Group>
      {savedNotice ? (
        <Alert color="teal" data-testid="workflow-saved" withCloseButton onClose={() => setSavedNotice(null)}>
          {savedNotice}
        </Alert>
      ) : null}
      <ErrorAlert error={saveError} title="Not saved" />
      <ErrorAlert error={validation.error} title="Could not check the workflow" />
      <ErrorAlert error={agents.error} title="Could not load the agents" />
      <TextInput
        label="Workflow name"
        required
        value={definition.name}
        error={nameMissing && definition.steps.length > 0 ? 'Name the workflow to save it.' : null}
        onChange={(event) => change({ ...definition, name: event.currentTarget.value })}
        maw={480}
      />
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="graph">Graph</Tabs.Tab>
          <Tabs.Tab value="json">JSON</Tabs.Tab>
          <Tabs.Tab value="settings" rightSection={generalBadge(validation.grouped.general.length)}>
            Settings
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="graph" pt="sm">
          <Grid>
            <Grid.Col span={{ base: 12, md: 7, lg: 8 }}>
              <Stack gap="xs">
                <Group gap="xs" aria-label="Step palette" role="toolbar">
                  <Button size="xs" onClick={() => add('agent')} disabled={!canEdit}>
                    Add agent step
                  </Button>
                  <Button size="xs" color="grape" onClick={() => add('http')} disabled={!canEdit}>
                    Add HTTP step
                  </Button>
                  <Button
                    size="xs"
                    variant="default"
                    onClick={() => setLayoutRequest((value) => value + 1)}
                    disabled={definition.steps.length === 0}
                  >
                    Auto layout
                  </Button>
                </Group>
                <Paper withBorder h={{ base: 360, sm: 480 }} pos="relative" data-testid="workflow-canvas">
                  <WorkflowCanvas
                    memory={memory.current}
                    definition={definition}
                    agents={agentList}
                    problemsByStep={validation.grouped.byStep}
                    selectedStepId={selectedStepId}
                    onSelect={setSelectedStepId}
                    onChange={change}
                    layoutRequest={layoutRequest + revision}
                  />
                  {definition.steps.length === 0 ? (
                    <CanvasHint hasAgents={agentList.length > 0} workspaceId={workspaceId} />
                  ) : null}
                </Paper>
                <Text size="xs" c="dimmed">
                  Drag from a step's right dot to another step's left dot (or click one dot, then the other)
                  to make it run after. Select a step or an edge and press Delete to remove it.
                </Text>
                {definition.steps.length > 0 ? (
                  <Group gap={4} aria-label="Steps" data-testid="step-list">
                    {definition.steps.map((step) => {
                      const count = validation.grouped.byStep.get(step.id)?.length ?? 0;
                      return (
                        <Button
                          key={step.id}
                          size="compact-xs"
                          variant={step.id === selectedStepId ? 'filled' : 'light'}
                          color={count > 0 ? 'red' : undefined}
                          onClick={() => setSelectedStepId(step.id)}
                          aria-pressed={step.id === selectedStepId}
                        >
                          {step.id}
                          {count > 0 ? ` (${count})` : ''}
                        </Button>
                      );
                    })}
                  </Group>
                ) : null}
                <GeneralProblems
                  problems={validation.grouped.general}
                  onOpenSettings={() => setTab('settings')}
                />
              </Stack>
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 5, lg: 4 }}>
              {selectedStepId && definition.steps.some((step) => step.id === selectedStepId) ? (
                <StepInspector
                  definition={definition}
                  stepId={selectedStepId}
                  agents={agentList}
                  problems={validation.grouped}
                  onChange={change}
                  onSelect={setSelectedStepId}
                />
              ) : (
                <Paper withBorder p="sm">
                  <Text size="sm" c="dimmed">
                    Select a step to pick its agent and map its input. Inputs are templates: text with{' '}
                    <code>{'{{ run.input.field }}'}</code> or <code>{'{{ steps.<id>.output.field }}'}</code>.
                    Type <code>{'{{'}</code> in a field for suggestions.
                  </Text>
                </Paper>
              )}
            </Grid.Col>
          </Grid>
        </Tabs.Panel>
        <Tabs.Panel value="json" pt="sm">
          <WorkflowJsonView definition={definition} onChange={replace} />
          <GeneralProblems problems={validation.problems} />
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="sm">
          <WorkflowSettingsPanel
            workspaceId={workspaceId}
            definition={definition}
            onChange={change}
            workflow={workflow}
            problems={validation.grouped.general}
            revision={revision}
            canEdit={canEdit}
            onSchemaValidityChange={setSchemaValid}
          />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function generalBadge(count: number) {
  return count > 0 ? (
    <Badge size="xs" color="red" circle>
      {count}
    </Badge>
  ) : null;
}

function ValidationStatus(props: { checking: boolean; problems: number; empty: boolean; current: boolean }) {
  if (props.empty) return null;
  if (props.checking && !props.current)
    return (
      <Badge variant="light" color="gray" data-testid="validation-status">
        checking…
      </Badge>
    );
  return props.problems === 0 ? (
    <Badge variant="light" color="teal" data-testid="validation-status">
      no problems
    </Badge>
  ) : (
    <Badge variant="light" color="red" data-testid="validation-status">
      {props.problems} problem{props.problems === 1 ? '' : 's'}
    </Badge>
  );
}

function GeneralProblems(props: {
  problems: ReadonlyArray<{ pointer: string; code: string; message: string }>;
  onOpenSettings?: () => void;
}) {
  if (props.problems.length === 0) return null;
  return (
    <Alert color="red" title="Problems" data-testid="workflow-problems">
      <List size="sm">
        {props.problems.map((problem) => (
          <List.Item key={`${problem.pointer}-${problem.code}-${problem.message}`}>
            {problem.pointer ? <code>{problem.pointer}</code> : null} {problem.message}
          </List.Item>
        ))}
      </List>
      {props.onOpenSettings ? (
        <UnstyledButton onClick={props.onOpenSettings} mt="xs" td="underline" fz="sm">
          Open the settings
        </UnstyledButton>
      ) : null}
    </Alert>
  );
}

function CanvasHint(props: { hasAgents: boolean; workspaceId: string }) {
  return (
    <Stack
      pos="absolute"
      top={0}
      left={0}
      right={0}
      bottom={0}
      align="center"
      justify="center"
      p="md"
      style={{ pointerEvents: 'none' }}
    >
      <Text c="dimmed" ta="center" maw={360}>
        Add a step from the palette above: an agent step runs one of your agents, an HTTP step posts JSON to a
        URL (a notifier, a ticket system).
      </Text>
      {props.hasAgents ? null : (
        <Text size="sm" c="dimmed" ta="center" style={{ pointerEvents: 'auto' }}>
          You have no agents yet. <Link href={`/w/${props.workspaceId}/agents`}>Create one first</Link>.
        </Text>
      )}
    </Stack>
  );
}
