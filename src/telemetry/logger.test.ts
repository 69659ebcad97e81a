import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON with secret-named fields redacted, at any depth', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    logger.info(
      {
        apiKey: 'sk-canary-0001',
        request: { headers: { authorization: 'Bearer fd_canary0002', 'x-api-key': 'canary0003' } },
        body: { password: 'canary0004', name: 'kept' },
        providerKeyId: 'key-1',
      },
      'provider call',
    );
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(line).not.toMatch(/canary/);
    const entry = JSON.parse(line);
    expect(entry.msg).toBe('provider call');
    expect(entry.body.name).toBe('kept');
    expect(entry.providerKeyId).toBe('key-1');
    expect(entry.apiKey).toBe('[redacted]');
  });

  it('keeps what serializers make of request objects', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    class FakeRequest {
      get method() {
        return 'GET';
      }
    }
    logger
      .child({}, { serializers: { req: (request: FakeRequest) => ({ method: request.method }) } })
      .info({ req: new FakeRequest() }, 'incoming request');
    expect(JSON.parse(lines[0] ?? '{}').req).toEqual({ method: 'GET' });
  });

  it('honours the level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'warn', destination });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(['shown']);
  });
});
