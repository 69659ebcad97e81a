import { sampleFromSchema } from '../../llm/index.ts';
import { hashText, seededRandom } from '../../llm/seeded-random.ts';
import type { Tool } from './tool.ts';

/** What a tool without a declared result schema answers in mock mode. */
const anyResult = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };

/**
 * A tool in mock mode: same name, schema and approval, but its call answers a sample of the
 * declared `resultSchema` (seeded by the tool and its arguments, so runs repeat) and touches no
 * network, no secret and no other agent.
 */
export function mockTool(tool: Tool): Tool {
  return {
    ...tool,
    async call(args) {
      const random = seededRandom(hashText(`${tool.name}\n${JSON.stringify(args ?? null)}`));
      return { value: sampleFromSchema(tool.resultSchema ?? anyResult, random) };
    },
  };
}
