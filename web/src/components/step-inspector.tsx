import { Button, Group, List, MultiSelect, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { Agent } from '../api/api-types.ts';
import type { AgentStep, HttpStep, WorkflowDefinition, WorkflowProblem } from '../api/workflow-types.ts';
import { templateSuggestions } from '../lib/template-suggestions.ts';
import {
  removeSteps,
  renameStep,
  setNeeds,
  stepIdProblem,
  updateStep,
  wouldCreateCycle,
} from '../lib/workflow-draft.ts';
import type { GroupedProblems } from '../lib/workflow-problems.ts';
import { AgentStepFields } from './agent-step-fields.tsx';
import { HttpStepFields } from './http-step-fields.tsx';

/** The id box commits on Enter or leaving it, so templates are rewritten once, not per keystroke. */
function StepIdInput(props: {
  definition: WorkflowDefinition;
  stepId: string;
  onRename: (id: string) => void;
}) {
  const [text, setText] = useState(props.stepId);
  useEffect(() => setText(props.stepId), [props.stepId]);
  const problem = text === props.stepId ? null : stepIdProblem(props.definition, text, props.stepId);
  const commit = () => {
    if (text !== props.stepId && problem === null) props.onRename(text);
  };
  return (
    <TextInput
      label="Step id"
      description="Templates read this step as {{ steps.<id>.output }}."
      value={text}
      error={problem}
      onChange={(event) => setText(event.currentTarget.value.trim())}
      onBlur={commit}
      onKeyDown={(event) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          commit();
        }
      }}
    />
  );
}

const messagesOf = (problems: readonly WorkflowProblem[] | undefined) =>
  problems && problems.length > 0 ? problems.map((problem) => problem.message).join(' ') : null;

/** Everything about the selected step: id, agent or URL, input templates, what it runs after, delete. */
export function StepInspector(props: {
  definition: WorkflowDefinition;
  stepId: string;
  agents: readonly Agent[];
  problems: GroupedProblems;
  onChange: (definition: WorkflowDefinition) => void;
  onSelect: (stepId: string | null) => void;
}) {
  const { definition, stepId } = props;
  const step = definition.steps.find((candidate) => candidate.id === stepId);
  if (!step) return null;
  const suggestions = templateSuggestions(definition, props.agents, stepId);
  const errorOf = (field: string) => messagesOf(props.problems.byField.get(`${stepId}/${field}`));
  const stepProblems = props.problems.byStep.get(stepId) ?? [];
  const needOptions = definition.steps
    .filter(
      (other) =>
        other.id !== stepId &&
        (step.needs?.includes(other.id) || !wouldCreateCycle(definition, other.id, stepId)),
    )
    .map((other) => other.id);
  return (
    <Paper withBorder p="sm" data-testid="step-inspector">
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={4}>{step.kind === 'http' ? 'HTTP step' : 'Agent step'}</Title>
          <Button
            size="xs"
            color="red"
            variant="light"
            onClick={() => {
              props.onChange(removeSteps(definition, [stepId]));
              props.onSelect(null);
            }}
          >
            Delete step
          </Button>
        </Group>
        <StepIdInput
          definition={definition}
          stepId={stepId}
          onRename={(id) => {
            props.onChange(renameStep(definition, stepId, id));
            props.onSelect(id);
          }}
        />
        {step.kind === 'http' ? (
          <HttpStepFields
            step={step as HttpStep}
            suggestions={suggestions}
            errorOf={errorOf}
            onChange={(next) => props.onChange(updateStep(definition, stepId, () => next))}
          />
        ) : (
          <AgentStepFields
            step={step as AgentStep}
            agents={props.agents}
            suggestions={suggestions}
            errorOf={errorOf}
            onChange={(next) => props.onChange(updateStep(definition, stepId, () => next))}
          />
        )}
        <MultiSelect
          label="Runs after"
          description="Also drawn by connecting steps on the canvas. Reading a step's output adds it by itself."
          data={needOptions}
          value={step.needs ?? []}
          error={errorOf('needs')}
          onChange={(needs) => props.onChange(setNeeds(definition, stepId, needs))}
          clearable
        />
        {stepProblems.length > 0 ? (
          <List size="xs" c="red" data-testid="step-problems">
            {stepProblems.map((problem) => (
              <List.Item key={`${problem.pointer}-${problem.code}-${problem.message}`}>
                {problem.message}{' '}
                <Text span size="xs" c="dimmed">
                  ({problem.code})
                </Text>
              </List.Item>
            ))}
          </List>
        ) : null}
        {stepProblems.length === 0 ? (
          <Text size="xs" c="teal">
            No problems in this step.
          </Text>
        ) : null}
      </Stack>
    </Paper>
  );
}
