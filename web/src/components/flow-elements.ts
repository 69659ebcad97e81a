import { type Edge, MarkerType } from '@xyflow/react';
import type { Agent } from '../api/api-types.ts';
import type { WorkflowDefinition, WorkflowStep } from '../api/workflow-types.ts';
import { findAgent } from '../lib/template-suggestions.ts';
import type { Point } from '../lib/workflow-layout.ts';
import { dependenciesOf } from '../lib/workflow-references.ts';
import type { StepNodeType } from './step-node.tsx';

/** Nodes and edges of a workflow graph, shared by the builder's canvas and the run monitor. */

/** What a node says under the step id. */
export function stepDetail(step: WorkflowStep, agents: readonly Agent[]): string {
  if (step.kind === 'http') return step.url ? `${step.method ?? 'POST'} ${step.url}` : '';
  return step.agent ? (findAgent(agents, step.agent)?.name ?? step.agent) : '';
}

/** Edges of a definition: `needs` solid, template-implied dependencies dashed (they follow the templates). */
export function dependencyEdges(
  definition: WorkflowDefinition,
  selectedEdgeId: string | null = null,
): Edge[] {
  const edges: Edge[] = [];
  for (const [target, deps] of dependenciesOf(definition)) {
    for (const source of deps.needs) {
      const id = `${source}->${target}`;
      edges.push({
        id,
        source,
        target,
        selected: id === selectedEdgeId,
        markerEnd: { type: MarkerType.ArrowClosed },
        ariaLabel: `${target} runs after ${source}`,
      });
    }
    for (const source of deps.implied) {
      edges.push({
        id: `${source}~>${target}`,
        source,
        target,
        deletable: false,
        selectable: false,
        label: 'template',
        style: { strokeDasharray: '6 4' },
        markerEnd: { type: MarkerType.ArrowClosed },
        ariaLabel: `${target} reads the output of ${source}`,
      });
    }
  }
  return edges;
}

/**
 * Nodes for a new definition keeping what the canvas learnt about the old ones (measured size,
 * where the user dragged them). A step whose id changed keeps its place; new steps go to `place`.
 */
export function mergeNodes(
  previous: readonly StepNodeType[],
  next: ReadonlyArray<Omit<StepNodeType, 'position'> & { position?: Point }>,
  place: (id: string, taken: Point[]) => Point,
): StepNodeType[] {
  const byId = new Map(previous.map((node) => [node.id, node]));
  const nextIds = new Set(next.map((node) => node.id));
  const taken = previous.map((node) => node.position);
  return next.map((node, index) => {
    const old =
      byId.get(node.id) ??
      (previous[index] && !nextIds.has(previous[index].id) ? previous[index] : undefined);
    const position = node.position ?? old?.position ?? place(node.id, taken);
    if (!old) taken.push(position);
    return { ...node, position, measured: old?.id === node.id ? old.measured : undefined } as StepNodeType;
  });
}
