export type {
  FakeConversation,
  FakeReply,
  FakeResponder,
  FakeToolCall,
  FakeToolResult,
} from './fake-conversation.ts';
export type { FakeFault, FakeFaultName } from './fake-fault.ts';
export { parseFakeFault } from './fake-fault.ts';
export type { FakeProvider, FakeProviderCall, FakeProviderOptions } from './start-fake-provider.ts';
export { startFakeProvider } from './start-fake-provider.ts';
