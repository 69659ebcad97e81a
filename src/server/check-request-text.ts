import type { FastifyRequest } from 'fastify';
import { FlightdeckError } from '../core/errors.ts';

/** Deeper than any agent schema, workflow or input a person writes; deep enough to stop stack-bound code. */
export const maxRequestDepth = 64;

type Location = 'body' | 'query' | 'params';

interface Problem {
  location: Location;
  path: string;
  reason: 'lone_surrogate' | 'nul_character' | 'too_deep';
}

/**
 * Refuses, before validation, what the database cannot store or recursive code cannot walk: a
 * string (value or key) with a lone UTF-16 surrogate (`"\ud800"`: PostgreSQL refuses it in json
 * and turns it into U+FFFD in text, so a write half-applied and then failed) or a NUL character
 * (text and jsonb refuse it), and JSON nested deeper than `maxRequestDepth`. Iterative, so a hostile
 * depth cannot overflow the stack here either. This part checks the path and query, before
 * authentication reads the workspace id from them.
 */
export async function checkRequestAddress(request: FastifyRequest): Promise<void> {
  refuse(findProblem(request.params, 'params') ?? findProblem(request.query, 'query'));
}

/** The same for the parsed body; it runs before validation, once the body is parsed. */
export async function checkRequestBody(request: FastifyRequest): Promise<void> {
  refuse(findProblem(request.body, 'body'));
}

function refuse(problem: Problem | undefined): void {
  if (!problem) return;
  throw new FlightdeckError({
    code: problem.reason === 'too_deep' ? 'request_too_deep' : 'invalid_text',
    kind: 'invalid',
    message: describe(problem),
    details: { location: problem.location, path: problem.path, reason: problem.reason },
  });
}

function describe(problem: Problem): string {
  const where = `${problem.location}${problem.path}`;
  switch (problem.reason) {
    case 'lone_surrogate':
      return `${where} contains a lone surrogate (an unpaired \\uD800–\\uDFFF escape). Send well-formed Unicode text.`;
    case 'nul_character':
      return `${where} contains a NUL character (\\u0000), which cannot be stored. Remove it.`;
    case 'too_deep':
      return `${where} is nested more than ${maxRequestDepth} levels deep. Flatten the document.`;
  }
}

function badText(text: string): Problem['reason'] | undefined {
  if (!text.isWellFormed()) return 'lone_surrogate';
  if (text.includes('\u0000')) return 'nul_character';
  return undefined;
}

function findProblem(root: unknown, location: Location): Problem | undefined {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [
    { value: root, path: '', depth: 0 },
  ];
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop() as { value: unknown; path: string; depth: number };
    if (typeof value === 'string') {
      const reason = badText(value);
      if (reason) return { location, path: path || '/', reason };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= maxRequestDepth) return { location, path: path || '/', reason: 'too_deep' };
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) {
        pending.push({ value: value[index], path: `${path}/${index}`, depth: depth + 1 });
      }
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      const pointer = `${path}/${pointerToken(key)}`;
      const reason = badText(key);
      if (reason) return { location, path: pointer, reason };
      pending.push({ value: child, path: pointer, depth: depth + 1 });
    }
  }
  return undefined;
}

/** A JSON pointer token, made printable: the path is echoed in the message. */
function pointerToken(key: string): string {
  const escaped = key.replaceAll('~', '~0').replaceAll('/', '~1');
  return escaped.isWellFormed() && !escaped.includes('\u0000')
    ? escaped.slice(0, 100)
    : escaped.toWellFormed().replaceAll('\u0000', '\\u0000').slice(0, 100);
}
