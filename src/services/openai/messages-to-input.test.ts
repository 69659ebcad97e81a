import { describe, expect, it } from 'vitest';
import { FlightdeckError } from '../../core/errors.ts';
import { inputFromText, type MappedAgent, messagesToInput } from './messages-to-input.ts';

const plain: MappedAgent = { inputSchema: null, promptTemplate: '{{ input }}' };
const param = 'messages[0].content';

function refusal(action: () => unknown): { code: string; param: unknown; message: string } {
  try {
    action();
  } catch (error) {
    if (!FlightdeckError.isInstance(error)) throw error;
    return { code: error.code, param: (error.details as { param?: unknown }).param, message: error.message };
  }
  throw new Error('expected a refusal');
}

describe('inputFromText', () => {
  it('takes a JSON object as the input as it is', () => {
    expect(inputFromText(' {"text": "hi", "n": 2} ', plain, param)).toEqual({ text: 'hi', n: 2 });
  });

  it('keeps text that only looks like JSON as text', () => {
    expect(inputFromText('[1, 2]', plain, param)).toBe('[1, 2]');
    expect(inputFromText('{not json', plain, param)).toBe('{not json');
  });

  it('without an input schema: the text itself, or the one field the template looks up', () => {
    expect(inputFromText('hello', plain, param)).toBe('hello');
    expect(
      inputFromText('hello', { inputSchema: null, promptTemplate: 'Q: {{ input.question }}' }, param),
    ).toEqual({ question: 'hello' });
    expect(
      refusal(() =>
        inputFromText('hello', { inputSchema: null, promptTemplate: '{{ input.a }} {{ input.b.c }}' }, param),
      ),
    ).toMatchObject({ code: 'input_not_mappable', param, message: expect.stringContaining('a, b') });
  });

  it('with an input schema: fills its only required string field, or its only field', () => {
    const template = '{{ input.text }}';
    const required = {
      type: 'object',
      properties: { text: { type: 'string' }, tone: { type: 'string' } },
      required: ['text'],
    };
    expect(inputFromText('hi', { inputSchema: required, promptTemplate: template }, param)).toEqual({
      text: 'hi',
    });
    const single = { type: 'object', properties: { text: { type: ['string', 'null'] } } };
    expect(inputFromText('hi', { inputSchema: single, promptTemplate: template }, param)).toEqual({
      text: 'hi',
    });
    expect(
      inputFromText('hi', { inputSchema: { type: 'string' }, promptTemplate: '{{ input }}' }, param),
    ).toBe('hi');
  });

  it('refuses text a schema cannot take from it, naming the fields', () => {
    const agent = (inputSchema: Record<string, unknown>): MappedAgent => ({
      inputSchema,
      promptTemplate: '',
    });
    const numeric = { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] };
    expect(refusal(() => inputFromText('three', agent(numeric), param))).toMatchObject({
      code: 'input_not_mappable',
      message: expect.stringContaining('count (integer, required)'),
    });
    const two = {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' } },
      required: ['a', 'b'],
    };
    expect(refusal(() => inputFromText('x', agent(two), param)).param).toBe(param);
    expect(refusal(() => inputFromText('x', agent({ type: 'number' }), param)).code).toBe(
      'input_not_mappable',
    );
  });
});

describe('messagesToInput', () => {
  it('makes the last user message the input and earlier turns the history, without system messages', () => {
    expect(
      messagesToInput(
        [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'one' },
          { role: 'assistant', content: [{ type: 'text', text: 'two' }] },
          { role: 'developer', content: 'ignored too' },
          { role: 'user', content: 'three' },
          { role: 'system', content: 'trailing system message' },
        ],
        plain,
      ),
    ).toEqual({
      input: 'three',
      history: [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'two' },
      ],
    });
  });

  it('names the message that cannot be mapped', () => {
    expect(
      refusal(() =>
        messagesToInput(
          [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: 'b' },
          ],
          plain,
        ),
      ),
    ).toMatchObject({
      code: 'last_message_not_user',
      param: 'messages',
    });
    expect(refusal(() => messagesToInput([{ role: 'system', content: 'only' }], plain)).code).toBe(
      'last_message_not_user',
    );
    expect(refusal(() => messagesToInput([{ role: 'tool', content: 'x' }], plain)).param).toBe(
      'messages[0].role',
    );
    expect(
      refusal(() =>
        messagesToInput([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }], plain),
      ),
    ).toMatchObject({ code: 'content_part_unsupported', param: 'messages[0].content[0]' });
    expect(refusal(() => messagesToInput([{ role: 'user', content: null }], plain)).param).toBe(
      'messages[0].content',
    );
    expect(
      refusal(() =>
        messagesToInput(
          [
            { role: 'assistant', content: null, tool_calls: [{}] },
            { role: 'user', content: 'x' },
          ],
          plain,
        ),
      ).param,
    ).toBe('messages[0].tool_calls');
  });

  it('points a text input at the message it came from', () => {
    const agent = {
      inputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
      promptTemplate: '',
    };
    expect(
      refusal(() =>
        messagesToInput(
          [
            { role: 'system', content: 's' },
            { role: 'user', content: 'x' },
          ],
          agent,
        ),
      ).param,
    ).toBe('messages[1].content');
  });
});
