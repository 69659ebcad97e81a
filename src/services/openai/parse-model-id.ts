/** Which agent, and which of its versions, an OpenAI `model` names. */
export interface AgentModelReference {
  slug: string;
  version: { kind: 'current' } | { kind: 'number'; number: number } | { kind: 'id'; id: string };
}

const modelPattern = /^agent\/([a-z0-9][a-z0-9-]{0,62})(?:@([\w-]{1,64}))?$/;

/** `agent/<slug>`, `agent/<slug>@<version number>` or `agent/<slug>@<version id>`; null for anything else. */
export function parseModelId(model: string): AgentModelReference | null {
  const match = modelPattern.exec(model.trim());
  const slug = match?.[1];
  if (!slug) return null;
  const version = match[2];
  if (version === undefined) return { slug, version: { kind: 'current' } };
  if (/^\d+$/.test(version)) {
    const number = Number(version);
    return Number.isSafeInteger(number) && number >= 1 ? { slug, version: { kind: 'number', number } } : null;
  }
  return { slug, version: { kind: 'id', id: version } };
}

/** The model id clients list and send for an agent. */
export function modelIdOf(slug: string): string {
  return `agent/${slug}`;
}
