import '@xyflow/react/dist/style.css';
import {
  applyNodeChanges,
  Background,
  type Connection,
  Controls,
  type Edge,
  type EdgeChange,
  type NodeChange,
  ReactFlow,
  useReactFlow,
} from '@xyflow/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Agent } from '../api/api-types.ts';
import type { WorkflowDefinition, WorkflowProblem } from '../api/workflow-types.ts';
import { connectSteps, disconnectSteps, removeSteps, wouldCreateCycle } from '../lib/workflow-draft.ts';
import { layoutSteps, nextFreePosition, type Point } from '../lib/workflow-layout.ts';
import { dependencyEdges, mergeNodes, stepDetail } from './flow-elements.ts';
import { type StepNodeType, stepNodeTypes } from './step-node.tsx';

function rememberPositions(memory: CanvasMemory, nodes: readonly StepNodeType[]) {
  memory.positions.clear();
  for (const node of nodes) memory.positions.set(node.id, node.position);
}

/** What the canvas remembers across remounts (switching to the JSON view and back): places and layouts done. */
export interface CanvasMemory {
  positions: Map<string, Point>;
  laidOut: number;
}

/** The builder's canvas: steps as nodes, `needs` as edges; connect, drag, select, delete with the keyboard. */
export function WorkflowCanvas(props: {
  memory: CanvasMemory;
  definition: WorkflowDefinition;
  agents: readonly Agent[];
  problemsByStep: ReadonlyMap<string, WorkflowProblem[]>;
  selectedStepId: string | null;
  onSelect: (stepId: string | null) => void;
  onChange: (definition: WorkflowDefinition) => void;
  /** Changes when the user asks for an automatic layout (and when a definition is loaded). */
  layoutRequest: number;
}) {
  const { definition, onChange, onSelect } = props;
  const [nodes, setNodes] = useState<StepNodeType[]>([]);
  const [selectedEdgeId, setSelectedEdgeId] = useState<string | null>(null);
  const flow = useReactFlow();
  const { memory } = props;
  const stepCount = useRef(-1);

  // `memory` is one mutable object per builder: reading it is not a dependency.
  // biome-ignore lint/correctness/useExhaustiveDependencies: see above
  useEffect(() => {
    const relayout = memory.laidOut !== props.layoutRequest;
    memory.laidOut = props.layoutRequest;
    const layout = relayout ? layoutSteps(definition) : null;
    setNodes((previous) => {
      const next = mergeNodes(
        previous,
        definition.steps.map((step) => ({
          id: step.id,
          type: 'step' as const,
          position: layout?.get(step.id),
          selected: step.id === props.selectedStepId,
          ariaLabel: `Step ${step.id}`,
          data: {
            stepId: step.id,
            kind: step.kind === 'http' ? ('http' as const) : ('agent' as const),
            detail: stepDetail(step, props.agents),
            problemCount: props.problemsByStep.get(step.id)?.length ?? 0,
            editable: true,
          },
        })),
        (id, taken) => memory.positions.get(id) ?? nextFreePosition(taken),
      );
      rememberPositions(memory, next);
      return next;
    });
    const added = stepCount.current !== definition.steps.length;
    stepCount.current = definition.steps.length;
    if (relayout || added) {
      // After React Flow has measured the new nodes.
      const timer = setTimeout(() => void flow.fitView({ padding: 0.2, duration: 150, maxZoom: 1.2 }), 60);
      return () => clearTimeout(timer);
    }
    return undefined;
  }, [definition, props.agents, props.problemsByStep, props.selectedStepId, props.layoutRequest, flow]);

  const edges = useMemo(() => dependencyEdges(definition, selectedEdgeId), [definition, selectedEdgeId]);

  const onNodesChange = (changes: NodeChange<StepNodeType>[]) => {
    const removed = changes.flatMap((change) => (change.type === 'remove' ? [change.id] : []));
    if (removed.length > 0) {
      onChange(removeSteps(definition, removed));
      if (props.selectedStepId && removed.includes(props.selectedStepId)) onSelect(null);
    }
    for (const change of changes) {
      if (change.type !== 'select') continue;
      if (change.selected) {
        onSelect(change.id);
        setSelectedEdgeId(null);
      } else if (
        change.id === props.selectedStepId &&
        !changes.some((other) => other.type === 'select' && other.selected)
      )
        onSelect(null);
    }
    setNodes((current) => {
      const next = applyNodeChanges(
        changes.filter((change) => change.type !== 'remove'),
        current,
      );
      rememberPositions(memory, next);
      return next;
    });
  };

  const onEdgesChange = (changes: EdgeChange[]) => {
    let next = definition;
    for (const change of changes) {
      if (change.type === 'select') setSelectedEdgeId(change.selected ? change.id : null);
      if (change.type === 'remove' && change.id.includes('->')) {
        const [source = '', target = ''] = change.id.split('->');
        next = disconnectSteps(next, source, target);
      }
    }
    if (next !== definition) onChange(next);
  };

  const isValidConnection = (connection: Connection | Edge) =>
    wouldCreateCycle(definition, connection.source, connection.target) === false;

  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={stepNodeTypes}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onConnect={(connection) => {
        if (isValidConnection(connection))
          onChange(connectSteps(definition, connection.source, connection.target));
      }}
      isValidConnection={isValidConnection}
      deleteKeyCode={['Backspace', 'Delete']}
      multiSelectionKeyCode={null}
      selectionKeyCode={null}
      fitView
      fitViewOptions={{ padding: 0.2, maxZoom: 1.2 }}
      minZoom={0.3}
      proOptions={{ hideAttribution: true }}
      aria-label="Workflow graph: Tab to a step, Enter to select it, Delete to remove it"
    >
      <Background gap={20} />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}
