export type { MockProviderSettings } from './create-mock-provider.ts';
export { createMockProvider } from './create-mock-provider.ts';
