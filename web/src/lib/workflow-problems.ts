import { ApiError } from '../api/api-error.ts';
import type { WorkflowDefinition, WorkflowProblem } from '../api/workflow-types.ts';

/** The segments of a JSON pointer (`/steps/1/input/a~1b` → steps, 1, input, a/b). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
}

export interface GroupedProblems {
  /** By step id: every problem under `/steps/<index>`. */
  byStep: Map<string, WorkflowProblem[]>;
  /** By `<stepId>/<field path>` (e.g. `scan/input/repo`, `notify/url`). */
  byField: Map<string, WorkflowProblem[]>;
  /** By top-level field (`name`, `triggers/schedule`, …) for problems outside the steps. */
  general: WorkflowProblem[];
}

/** Sorts problems onto the nodes and fields they point at. */
export function groupProblems(
  definition: WorkflowDefinition,
  problems: readonly WorkflowProblem[],
): GroupedProblems {
  const grouped: GroupedProblems = { byStep: new Map(), byField: new Map(), general: [] };
  const push = (map: Map<string, WorkflowProblem[]>, key: string, problem: WorkflowProblem) =>
    map.set(key, [...(map.get(key) ?? []), problem]);
  for (const problem of problems) {
    const segments = pointerSegments(problem.pointer);
    const step =
      segments[0] === 'steps' && segments[1] !== undefined
        ? definition.steps[Number(segments[1])]
        : undefined;
    if (!step) {
      grouped.general.push(problem);
      continue;
    }
    push(grouped.byStep, step.id, problem);
    const field = segments.slice(2);
    if (field.length > 0) {
      // A problem inside a field (`input/findings/0`) belongs to the field itself.
      const key =
        field[0] === 'input' || field[0] === 'body' || field[0] === 'headers'
          ? field.slice(0, 2)
          : field.slice(0, 1);
      push(grouped.byField, `${step.id}/${key.join('/')}`, problem);
    }
  }
  return grouped;
}

/**
 * Problems from a refused save or check: `workflow_invalid` lists them by pointer; a request the
 * schema refused (`validation_failed`, `unknown_field`) names paths, which are pointers too.
 */
export function problemsFromError(error: unknown): WorkflowProblem[] | null {
  if (!ApiError.isInstance(error)) return null;
  if (error.code === 'workflow_invalid' && Array.isArray(error.details))
    return error.details as WorkflowProblem[];
  if (error.code === 'validation_failed' && Array.isArray(error.details)) {
    return (error.details as Array<{ path?: string; message?: string }>).map((detail) => ({
      pointer: detail.path === '/' ? '' : (detail.path ?? ''),
      code: 'validation_failed',
      message: detail.message ?? 'is invalid',
    }));
  }
  if (error.code === 'unknown_field') return [{ pointer: '', code: error.code, message: error.message }];
  return null;
}
