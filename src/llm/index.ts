export type { AttemptSignal } from './attempt-signal.ts';
export type {
  CircuitBreaker,
  CircuitBreakerSettings,
  CircuitPermit,
  CircuitSnapshot,
  CircuitState,
} from './circuit-breaker.ts';
export { createCircuitBreaker, defaultCircuitBreakerSettings } from './circuit-breaker.ts';
export type { CircuitBreakerRegistry, CircuitKey } from './circuit-breaker-registry.ts';
export { createCircuitBreakerRegistry } from './circuit-breaker-registry.ts';
export type { Clock } from './clock.ts';
export { systemClock } from './clock.ts';
export { createAnthropicProvider } from './create-anthropic-provider.ts';
export type { OpenAiCompatibleProviderSettings } from './create-openai-compatible-provider.ts';
export { createOpenAiCompatibleProvider } from './create-openai-compatible-provider.ts';
export type { HttpProviderSettings } from './create-openai-provider.ts';
export { createOpenAiProvider } from './create-openai-provider.ts';
export type { ProviderSettings } from './create-provider.ts';
export { createProvider } from './create-provider.ts';
export type { RetryDecision } from './decide-retry.ts';
export { decideRetry } from './decide-retry.ts';
export type {
  ChatMessage,
  FinishReason,
  GenerateRequest,
  GenerateResult,
  JsonSchema,
  LanguageModelProvider,
  ProviderKind,
  ProviderStreamEvent,
  TokenUsage,
  ToolCallRequest,
  ToolDefinition,
  ToolResultMessage,
} from './language-model-provider.ts';
export { providerKinds } from './language-model-provider.ts';
export type { MockProviderSettings } from './mock-provider/index.ts';
export { createMockProvider } from './mock-provider/index.ts';
export type {
  ModelCaller,
  ModelCallerSettings,
  ModelCallRequest,
  ModelCallResult,
  ModelCallStreamEvent,
  ModelTarget,
} from './model-caller.ts';
export { createModelCaller } from './model-caller.ts';
export { parseRetryAfter } from './parse-retry-after.ts';
export * from './pricing/index.ts';
export type { AttemptRecord, ProviderErrorCode } from './provider-error.ts';
export { ProviderError, providerErrorKinds } from './provider-error.ts';
export * from './recording/index.ts';
export type { RetryPolicy } from './retry-policy.ts';
export { defaultRetryPolicy, resolveRetryPolicy } from './retry-policy.ts';
export { sampleFromSchema } from './schema-sample.ts';
export type { ConnectionTestResult, ConnectionTestSettings } from './test-provider-connection.ts';
export { testProviderConnection } from './test-provider-connection.ts';
