import '@xyflow/react/dist/style.css';
import { applyNodeChanges, Background, Controls, type NodeChange, ReactFlow } from '@xyflow/react';
import { useEffect, useMemo, useState } from 'react';
import type { Agent } from '../api/api-types.ts';
import type { Run, WorkflowDefinition } from '../api/workflow-types.ts';
import { formatCost } from '../lib/format.ts';
import { layoutSteps } from '../lib/workflow-layout.ts';
import { dependencyEdges, mergeNodes, stepDetail } from './flow-elements.ts';
import { type StepNodeType, stepNodeTypes } from './step-node.tsx';

/** The run's steps on the graph of the version it pinned, each coloured by its status as events arrive. */
export function RunGraph(props: {
  run: Run;
  /** The pinned version's definition; without it the steps stand in a row. */
  definition: WorkflowDefinition | null;
  agents: readonly Agent[];
  onOpenStep: (stepId: string) => void;
  selectedStepId: string | null;
}) {
  const { run } = props;
  const definition = useMemo<WorkflowDefinition>(() => {
    if (props.definition) return props.definition;
    return {
      name: '',
      steps: run.steps.map((step) =>
        step.kind === 'http'
          ? { id: step.stepId, kind: 'http', url: '' }
          : { id: step.stepId, agent: '', input: {} },
      ),
    };
  }, [props.definition, run.steps]);
  const positions = useMemo(() => layoutSteps(definition), [definition]);
  const [nodes, setNodes] = useState<StepNodeType[]>([]);

  useEffect(() => {
    const stepRuns = new Map(run.steps.map((step) => [step.stepId, step]));
    setNodes((previous) =>
      keepUnchanged(
        previous,
        mergeNodes(
          previous,
          definition.steps.map((step) => {
            const stepRun = stepRuns.get(step.id);
            const notes = [
              stepRun && stepRun.attempts > 1 ? `${stepRun.attempts} attempts` : null,
              stepRun && stepRun.costUsd > 0 ? formatCost(stepRun.costUsd) : null,
            ].filter(Boolean);
            return {
              id: step.id,
              type: 'step' as const,
              position: positions.get(step.id) ?? { x: 0, y: 0 },
              selected: step.id === props.selectedStepId,
              ariaLabel: `Step ${step.id}: ${stepRun?.status ?? 'pending'}. Enter opens its details.`,
              data: {
                stepId: step.id,
                kind: step.kind === 'http' ? ('http' as const) : ('agent' as const),
                detail: stepDetail(step, props.agents),
                problemCount: 0,
                status: stepRun?.status ?? 'pending',
                note: notes.join(' · '),
                editable: false,
              },
            };
          }),
          () => ({ x: 0, y: 0 }),
        ),
      ),
    );
  }, [definition, positions, run.steps, props.agents, props.selectedStepId]);

  // Edges change only when a step starts or stops running (they animate then), not on every event.
  const runningSteps = run.steps
    .filter((step) => step.status === 'running')
    .map((step) => step.stepId)
    .join(' ');
  const edges = useMemo(() => {
    const running = new Set(runningSteps.split(' '));
    return dependencyEdges(definition).map((edge) => ({
      ...edge,
      selectable: false,
      deletable: false,
      label: undefined,
      animated: running.has(edge.source),
    }));
  }, [definition, runningSteps]);

  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={stepNodeTypes}
      onNodesChange={(changes: NodeChange<StepNodeType>[]) => {
        for (const change of changes)
          if (change.type === 'select' && change.selected) props.onOpenStep(change.id);
        setNodes((current) => applyNodeChanges(changes, current));
      }}
      nodesDraggable={false}
      nodesConnectable={false}
      deleteKeyCode={null}
      fitView
      fitViewOptions={{ padding: 0.2, maxZoom: 1.2 }}
      minZoom={0.2}
      proOptions={{ hideAttribution: true }}
      aria-label="Run graph: each step coloured by its status; Tab to a step and press Enter for its details"
    >
      <Background gap={20} />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}

/**
 * The previous node object wherever nothing shown changed, so React Flow re-renders only the steps
 * an event touched (a 50-step run re-read after each burst would otherwise redraw all 50 nodes).
 */
function keepUnchanged(previous: readonly StepNodeType[], next: StepNodeType[]): StepNodeType[] {
  const byId = new Map(previous.map((node) => [node.id, node]));
  const shown = (node: StepNodeType) =>
    JSON.stringify([node.position, node.selected, node.ariaLabel, node.data, node.measured]);
  const kept = next.map((node) => {
    const old = byId.get(node.id);
    return old && shown(old) === shown(node) ? old : node;
  });
  const same = kept.length === previous.length && kept.every((node, index) => node === previous[index]);
  return same ? (previous as StepNodeType[]) : kept;
}
