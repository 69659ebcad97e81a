import { describe, expect, it } from 'vitest';
import { readEventStream } from '../../web/src/api/read-event-stream.ts';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function eventsOf(chunks: string[]) {
  const events = [];
  for await (const event of readEventStream(streamOf(chunks))) events.push(event);
  return events;
}

describe("the console's SSE reader", () => {
  it('reads events split anywhere across chunks, with CRLF, comments, ids and multi-line data', async () => {
    const text =
      ': keep-alive\r\n\r\nevent: execution-start\r\nid: 7\r\ndata: {"id":"ex_1"}\r\n\r\n' +
      'event: text-delta\ndata: first line\ndata: second line\n\n' +
      'data: no type given\n\n';
    // Every split point of a UTF-8 text with a multi-byte character in it.
    const withAccent = `${text}event: text-delta\ndata: café\n\n`;
    const bytes = new TextEncoder().encode(withAccent);
    for (const split of [1, 17, 40, 63, bytes.length - 3]) {
      const decoder = new TextDecoder();
      const chunks = [
        decoder.decode(bytes.slice(0, split), { stream: true }),
        decoder.decode(bytes.slice(split)),
      ];
      expect(await eventsOf(chunks)).toEqual([
        { event: 'execution-start', data: '{"id":"ex_1"}', id: '7' },
        { event: 'text-delta', data: 'first line\nsecond line' },
        { event: 'message', data: 'no type given' },
        { event: 'text-delta', data: 'café' },
      ]);
    }
  });

  it('splits a multi-byte character across chunks without garbling it', async () => {
    const bytes = new TextEncoder().encode('data: naïve\n\n');
    const index = bytes.indexOf(0xc3) + 1;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, index));
        controller.enqueue(bytes.slice(index));
        controller.close();
      },
    });
    const events = [];
    for await (const event of readEventStream(stream)) events.push(event);
    expect(events).toEqual([{ event: 'message', data: 'naïve' }]);
  });

  it('keeps a last event the server did not end with a blank line, and skips events without data', async () => {
    expect(await eventsOf(['event: ping\n\n', 'event: run-end\ndata: {}'])).toEqual([
      { event: 'run-end', data: '{}' },
    ]);
  });
});
