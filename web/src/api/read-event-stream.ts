import { createParser } from 'eventsource-parser';

export interface ServerSentEvent {
  event: string;
  data: string;
  /** The event's `id:` line, when the server sent one (what `Last-Event-ID` resumes from). */
  id?: string;
}

/**
 * Reads a `text/event-stream` body event by event. EventSource cannot POST, so streamed
 * executions read the fetch body directly; eventsource-parser does the parsing by the spec
 * (CRLF, CR or LF line ends, multi-line data, comments, fields split across chunks).
 */
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parsed: ServerSentEvent[] = [];
  const parser = createParser({
    onEvent(message) {
      parsed.push({
        // As EventSource does: an event without a type is a `message`.
        event: message.event ?? 'message',
        data: message.data,
        ...(message.id === undefined ? {} : { id: message.id }),
      });
    },
  });
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      yield* parsed.splice(0);
    }
    // A last event the server did not end with a blank line still counts, as before.
    parser.feed(`${decoder.decode()}\n\n`);
    yield* parsed.splice(0);
  } finally {
    reader.releaseLock();
  }
}
