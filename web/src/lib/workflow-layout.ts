import type { WorkflowDefinition } from '../api/workflow-types.ts';
import { dependenciesOf } from './workflow-references.ts';

export interface Point {
  x: number;
  y: number;
}

export const layerGap = 260;
export const rowGap = 110;

/**
 * A layered layout: a step's column is its dependency depth (the longest chain before it), rows in
 * definition order, each column centred on the tallest. Cycles (which the server refuses) fall back
 * to the depth reached so far instead of looping.
 */
export function layoutSteps(definition: WorkflowDefinition): Map<string, Point> {
  const dependencies = dependenciesOf(definition);
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const deps = dependencies.get(id);
    const before = deps ? [...deps.needs, ...deps.implied] : [];
    const value = before.length === 0 ? 0 : 1 + Math.max(...before.map(depthOf));
    visiting.delete(id);
    depth.set(id, value);
    return value;
  };
  const columns = new Map<number, string[]>();
  for (const step of definition.steps) {
    const column = depthOf(step.id);
    columns.set(column, [...(columns.get(column) ?? []), step.id]);
  }
  const tallest = Math.max(1, ...[...columns.values()].map((ids) => ids.length));
  const positions = new Map<string, Point>();
  for (const [column, ids] of columns) {
    const offset = ((tallest - ids.length) * rowGap) / 2;
    ids.forEach((id, row) => {
      positions.set(id, { x: column * layerGap, y: offset + row * rowGap });
    });
  }
  return positions;
}

/** Where a newly added step goes: one column right of everything, level with the first row. */
export function nextFreePosition(positions: Iterable<Point>): Point {
  let maxX = -layerGap;
  for (const point of positions) maxX = Math.max(maxX, point.x);
  return { x: maxX + layerGap, y: 0 };
}
