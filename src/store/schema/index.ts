export * from './agents.ts';
export * from './guardrails.ts';
export * from './identity.ts';
export * from './instance.ts';
export * from './mcp-servers.ts';
export * from './provider-keys.ts';
export * from './recordings.ts';
export * from './workflows.ts';
