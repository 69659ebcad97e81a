import type { CheckedAgent } from './check-workflow-definition.ts';
import { type JudgedReference, textTypes } from './judge-reference.ts';
import { resolveSchemaPath, rootSchemas, schemaTypes } from './resolve-schema-path.ts';
import { type WorkflowProblem, workflowProblem } from './workflow-definition.ts';
import { escapePointerSegment, formatReference, type ParsedWorkflowTemplate } from './workflow-template.ts';

/** Save-time checks of what a step hands on: agent input against the agent's input schema, http urls. */

/** A whole-value template must yield a type the field accepts; a text template yields a string. */
export function checkInputType(
  inputSchema: Record<string, unknown>,
  field: string,
  template: ParsedWorkflowTemplate,
  judged: readonly JudgedReference[],
  pointer: string,
): WorkflowProblem[] {
  if (template.references.length === 0) return [];
  const target = resolveSchemaPath(inputSchema, [field]);
  const expected = target.known ? schemaTypes(target.schemas) : undefined;
  if (expected === undefined) return [];
  const [first] = judged;
  const source = template.whole ? first : { types: textTypes };
  if (source === undefined || source.problem || source.types === undefined) return [];
  if ([...source.types].some((type) => accepts(expected, type))) return [];
  const wanted = [...expected].join(' or ');
  const given = [...source.types].join(' or ');
  const [reference] = template.references;
  const what =
    template.whole && reference ? `${formatReference(reference)} is ${given}` : 'this template renders text';
  return [
    workflowProblem(
      pointer,
      'template_type_mismatch',
      `Input field "${field}" expects ${wanted}, but ${what}.`,
    ),
  ];
}

function accepts(expected: ReadonlySet<string>, type: string): boolean {
  return expected.has(type) || (type === 'integer' && expected.has('number'));
}

/** Fields a closed input schema does not declare, and required fields the step does not give. */
export function checkInputFields(agent: CheckedAgent, input: unknown, base: string): WorkflowProblem[] {
  const schema = agent.inputSchema;
  if (schema === null || typeof input !== 'object' || input === null || Array.isArray(input)) return [];
  const roots = rootSchemas(schema);
  const found: WorkflowProblem[] = [];
  const closed = roots.some((root) => root.additionalProperties === false);
  for (const field of Object.keys(input)) {
    if (!closed || resolveSchemaPath(schema, [field]).known) continue;
    found.push(
      workflowProblem(
        `${base}/input/${escapePointerSegment(field)}`,
        'input_field_unknown',
        `Agent "${agent.slug}" does not take an input field "${field}" (its input schema allows no other fields).`,
      ),
    );
  }
  const required = new Set(roots.flatMap((root) => (Array.isArray(root.required) ? root.required : [])));
  for (const field of required) {
    if (typeof field !== 'string' || Object.hasOwn(input, field)) continue;
    found.push(
      workflowProblem(
        `${base}/input`,
        'input_field_missing',
        `Agent "${agent.slug}" requires the input field "${field}"; add it to input.`,
      ),
    );
  }
  return found;
}

/**
 * Placeholders become `x`, so `https://{{ run.input.host }}/hook` is judged as `https://x/hook`. A
 * url that is one whole placeholder (`{{ run.input.callbackUrl }}`) can only be judged when it runs.
 */
export function checkHttpUrl(template: ParsedWorkflowTemplate, pointer: string): WorkflowProblem[] {
  if (template.whole) return [];
  const url = template.parts.map((part) => (typeof part === 'string' ? part : 'x')).join('');
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // Not a URL at all: reported below like a wrong scheme.
  }
  if (protocol === 'http:' || protocol === 'https:') return [];
  return [
    workflowProblem(
      pointer,
      'http_url_invalid',
      `The url "${url}" is not an http or https URL (placeholders read as "x").`,
    ),
  ];
}
