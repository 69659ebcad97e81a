import { LRUCache } from 'lru-cache';
import { compileJsonSchema, type JsonSchemaValidator } from '../../core/json-schema.ts';
import { type ParsedTemplate, parseTemplate } from '../../core/template.ts';
import type { AgentVersionRow } from '../../store/repositories/index.ts';
import { type AgentDefinition, readDefinition } from '../agents/agent-definition.ts';

/** An agent version ready to run: its template parsed and its schemas compiled. */
export interface CompiledVersion {
  definition: AgentDefinition;
  template: ParsedTemplate;
  input: JsonSchemaValidator | null;
  output: JsonSchemaValidator | null;
}

/**
 * Compiled versions by id. Versions never change, so an entry never goes stale; compiling a schema
 * costs far more than running it, so this keeps Ajv off the hot path. Least recently used go first.
 */
export function createCompiledVersionCache(capacity = 1_000) {
  const entries = new LRUCache<string, CompiledVersion>({ max: capacity });
  return {
    get(version: AgentVersionRow): CompiledVersion {
      const cached = entries.get(version.id);
      if (cached) return cached;
      const definition = readDefinition(version.definition);
      const compiled: CompiledVersion = {
        definition,
        template: parseTemplate(definition.promptTemplate),
        input: definition.inputSchema ? compileJsonSchema(definition.inputSchema, 'inputSchema') : null,
        output: definition.outputSchema ? compileJsonSchema(definition.outputSchema, 'outputSchema') : null,
      };
      entries.set(version.id, compiled);
      return compiled;
    },
  };
}
