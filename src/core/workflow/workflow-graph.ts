import { stepTemplateFields } from './step-template-fields.ts';
import type { WorkflowDefinition } from './workflow-definition.ts';
import { parseWorkflowTemplate, visitStrings } from './workflow-template.ts';

/**
 * The step graph: a step depends on its `needs` and on every step its templates read. Edges to
 * unknown steps and to the step itself are left out (the check reports those), so these functions
 * never throw on an unchecked definition.
 */

/** The steps each step waits for: its `needs` plus every step its templates reference (deduplicated, definition order). */
export function dependenciesOf(definition: WorkflowDefinition): Map<string, string[]> {
  const positions = stepPositions(definition);
  const stepIds: ReadonlySet<string> = new Set(positions.keys());
  const dependencies = new Map<string, string[]>();
  for (const step of definition.steps) {
    if (dependencies.has(step.id)) continue;
    const found = new Set<string>(Array.isArray(step.needs) ? step.needs : []);
    for (const field of stepTemplateFields(step)) {
      try {
        visitStrings(field.value, (text) => {
          if (!text.includes('{{')) return;
          try {
            for (const reference of parseWorkflowTemplate(text, stepIds).references) {
              if (reference.scope === 'step') found.add(reference.stepId);
            }
          } catch {
            // A bad template has no dependencies; the check reports it.
          }
        });
      } catch {
        // Too deep: what was visited counts; the check reports the rest.
      }
    }
    const known = [...found].filter((id) => id !== step.id && positions.has(id));
    known.sort((left, right) => (positions.get(left) ?? 0) - (positions.get(right) ?? 0));
    dependencies.set(step.id, known);
  }
  return dependencies;
}

/** Step ids in an order where every step comes after what it depends on (stable: definition order among equals). Steps on or after a cycle are left out. */
export function topologicalOrder(definition: WorkflowDefinition): string[] {
  const dependencies = dependenciesOf(definition);
  const ids = [...dependencies.keys()];
  const positions = new Map(ids.map((id, position) => [id, position]));
  const waiting = new Map(ids.map((id) => [id, dependencies.get(id)?.length ?? 0]));
  const dependents = dependentsOf(dependencies);
  // Ready positions kept sorted, so the earliest defined ready step always goes next.
  const ready = ids.filter((id) => waiting.get(id) === 0).map((id) => positions.get(id) ?? 0);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ids[ready.shift() ?? 0] ?? '';
    order.push(id);
    for (const dependent of dependents.get(id) ?? []) {
      const left = (waiting.get(dependent) ?? 0) - 1;
      waiting.set(dependent, left);
      if (left === 0) insertSorted(ready, positions.get(dependent) ?? 0);
    }
  }
  return order;
}

/** Steps nothing depends on (the "final" steps, for the final_only approval strategy). */
export function finalSteps(definition: WorkflowDefinition): string[] {
  const dependencies = dependenciesOf(definition);
  const depended = new Set([...dependencies.values()].flat());
  return [...dependencies.keys()].filter((id) => !depended.has(id));
}

/**
 * One cycle per strongly connected group of steps, each in data-flow order starting and ending at
 * its earliest defined step (`['scan', 'review', 'scan']`), the groups in definition order.
 */
export function findCycles(dependencies: ReadonlyMap<string, readonly string[]>): string[][] {
  const ids = [...dependencies.keys()];
  const positions = new Map(ids.map((id, position) => [id, position]));
  const dependents = dependentsOf(dependencies);
  const cycles: string[][] = [];
  for (const group of stronglyConnected(ids, dependencies)) {
    if (group.length < 2) continue;
    const members = new Set(group);
    const start = group.reduce((best, id) =>
      (positions.get(id) ?? 0) < (positions.get(best) ?? 0) ? id : best,
    );
    // Breadth-first along data flow gives the shortest way back to the start.
    const cameFrom = new Map<string, string>();
    const queue = [start];
    let closing: string | undefined;
    for (let head = 0; head < queue.length && closing === undefined; head++) {
      const current = queue[head] ?? start;
      for (const next of dependents.get(current) ?? []) {
        if (!members.has(next)) continue;
        if (next === start) {
          closing = current;
          break;
        }
        if (cameFrom.has(next)) continue;
        cameFrom.set(next, current);
        queue.push(next);
      }
    }
    const cycle = [start];
    for (let at = closing; at !== undefined && at !== start; at = cameFrom.get(at)) cycle.push(at);
    cycles.push([start, ...cycle.slice(1).reverse(), start]);
  }
  return cycles.sort(
    (left, right) => (positions.get(left[0] ?? '') ?? 0) - (positions.get(right[0] ?? '') ?? 0),
  );
}

/** Tarjan's algorithm: linear in steps plus edges. */
function stronglyConnected(
  ids: readonly string[],
  edges: ReadonlyMap<string, readonly string[]>,
): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (id: string) => {
    index.set(id, index.size);
    low.set(id, index.get(id) ?? 0);
    stack.push(id);
    onStack.add(id);
    for (const next of edges.get(id) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(id, Math.min(low.get(id) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(id, Math.min(low.get(id) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(id) !== index.get(id)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      group.push(member);
    } while (member !== id);
    groups.push(group);
  };
  for (const id of ids) if (!index.has(id)) connect(id);
  return groups;
}

function dependentsOf(dependencies: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const dependents = new Map<string, string[]>();
  for (const [id, needs] of dependencies) {
    for (const need of needs) {
      const list = dependents.get(need);
      if (list) list.push(id);
      else dependents.set(need, [id]);
    }
  }
  return dependents;
}

function stepPositions(definition: WorkflowDefinition): Map<string, number> {
  const positions = new Map<string, number>();
  definition.steps.forEach((step, position) => {
    if (typeof step.id === 'string' && !positions.has(step.id)) positions.set(step.id, position);
  });
  return positions;
}

function insertSorted(sorted: number[], value: number): void {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((sorted[middle] ?? 0) < value) low = middle + 1;
    else high = middle;
  }
  sorted.splice(low, 0, value);
}
