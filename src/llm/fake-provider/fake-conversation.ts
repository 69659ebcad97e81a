import { contentText } from './fake-exchange.ts';

/** A tool result the client sent back, as the fake's responder sees it in either dialect. */
export interface FakeToolResult {
  id: string;
  /** The result as text (OpenAI sends a string; Anthropic text blocks are joined). */
  content: string;
  isError: boolean;
}

/** A tool call the fake is scripted to make; `id` is generated when absent. */
export interface FakeToolCall {
  id?: string;
  name: string;
  arguments: unknown;
}

/** What a scripted responder sees of one completion request. */
export interface FakeConversation {
  dialect: 'openai' | 'anthropic';
  model: string;
  lastUserMessage: string;
  /** Names of the tools the request offers (the AI SDK's forced `json` tool included). */
  tools: string[];
  /** The results of every earlier tool call, oldest first. */
  toolResults: FakeToolResult[];
  /** How many assistant turns came before this request. */
  assistantTurns: number;
  /** The request body as received, for anything else a test wants to check. */
  body: Record<string, unknown>;
}

/** What a responder answers with; `undefined` keeps the fake's default answer. */
export type FakeReply = { text: string } | { toolCalls: FakeToolCall[] } | undefined;

export type FakeResponder = (conversation: FakeConversation) => FakeReply | Promise<FakeReply>;

/** Reads the conversation of an OpenAI Chat Completions or Anthropic Messages request body. */
export function readFakeConversation(
  body: Record<string, unknown>,
  dialect: 'openai' | 'anthropic',
  model: string,
  lastUserMessage: string,
): FakeConversation {
  const messages = Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]) : [];
  const tools = Array.isArray(body.tools)
    ? (body.tools as { name?: string; function?: { name?: string } }[]).map(
        (tool) => tool.function?.name ?? tool.name ?? '',
      )
    : [];
  const toolResults: FakeToolResult[] = [];
  let assistantTurns = 0;
  for (const message of messages) {
    if (message.role === 'assistant') assistantTurns++;
    if (dialect === 'openai' && message.role === 'tool') {
      const content = contentText(message.content);
      toolResults.push({
        id: String(message.tool_call_id ?? ''),
        content,
        // The AI SDK sends an error result as its text; OpenAI has no error flag on tool messages.
        isError: false,
      });
    }
    if (dialect === 'anthropic' && message.role === 'user' && Array.isArray(message.content)) {
      for (const block of message.content as Record<string, unknown>[]) {
        if (block.type !== 'tool_result') continue;
        toolResults.push({
          id: String(block.tool_use_id ?? ''),
          content: contentText(block.content),
          isError: block.is_error === true,
        });
      }
    }
  }
  return { dialect, model, lastUserMessage, tools, toolResults, assistantTurns, body };
}
