import { describe, expect, it } from 'vitest';
import { createExchangeRecorder } from './exchange-recorder.ts';
import { canonicalModelRequest, fingerprintOf } from './recorded-exchange.ts';
import { createReplayCursor } from './replay-cursor.ts';
import { ReplayMismatchError } from './replay-mismatch-error.ts';
import { requestDifferences } from './request-differences.ts';

const ok = { ok: true as const, result: { text: 'x' } };

function recordingOf(requests: Array<{ kind: 'model' | 'tool'; request: Record<string, unknown> }>) {
  const recorder = createExchangeRecorder();
  for (const { kind, request } of requests)
    recorder.record({ kind, request, response: ok, usage: null, latencyMs: 1 });
  return { executionId: 'exec-1', exchanges: recorder.exchanges() };
}

describe('canonical requests and fingerprints', () => {
  it('leave out headers and signals, and ignore key order', () => {
    const base = { model: 'm', system: 's', messages: [{ role: 'user' as const, content: 'hi' }] };
    const withHeaders = canonicalModelRequest({
      ...base,
      headers: { 'Idempotency-Key': 'k-1' },
      abortSignal: new AbortController().signal,
      temperature: undefined,
      // What the model caller adds for itself: the time left changes from run to run.
      ...({ deadlineMs: 119_952, attemptTimeoutMs: 60_000 } as object),
    });
    expect(withHeaders).toEqual(base);
    expect(fingerprintOf({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe(
      fingerprintOf({ a: [1, { c: 3, d: 2 }], b: 1 }),
    );
    expect(fingerprintOf({ a: 1 })).not.toBe(fingerprintOf({ a: 2 }));
  });
});

describe('request differences', () => {
  it('names each differing leaf by its path, absent fields included', () => {
    expect(
      requestDifferences(
        { model: 'a', system: 'old', messages: [{ content: 'x' }], temperature: 0.2 },
        { model: 'b', system: 'old', messages: [{ content: 'y' }] },
      ),
    ).toEqual([
      { path: 'model', recorded: 'a', replayed: 'b' },
      { path: 'messages[0].content', recorded: 'x', replayed: 'y' },
      { path: 'temperature', recorded: 0.2, replayed: null },
    ]);
  });

  it('cuts long text around the first change', () => {
    const prefix = 'word '.repeat(200);
    const [difference] = requestDifferences({ system: `${prefix}alpha` }, { system: `${prefix}beta` });
    expect(String(difference?.recorded).length).toBeLessThan(130);
    expect(difference?.recorded).toContain('alpha');
    expect(difference?.replayed).toContain('beta');
  });
});

describe('the replay cursor', () => {
  it('answers in order and refuses a changed or an extra call', () => {
    const first = { model: 'm', messages: [{ content: 'one' }] };
    const second = { model: 'm', messages: [{ content: 'two' }] };
    const cursor = createReplayCursor([
      recordingOf([
        { kind: 'model', request: first },
        { kind: 'model', request: second },
      ]),
    ]);
    expect(cursor.next('model', first).sequence).toBe(0);
    expect(() => cursor.next('model', { ...second, model: 'n' })).toThrow(ReplayMismatchError);
    expect(cursor.next('model', second).sequence).toBe(1);
    try {
      cursor.next('model', second);
      expect.unreachable();
    } catch (error) {
      expect((error as ReplayMismatchError).code).toBe('replay_mismatch');
      expect((error as ReplayMismatchError).message).toContain('more model calls than the recording holds');
    }
  });

  it('matches the tool results of one turn in any order, then reports a tool mismatch at the next model call', () => {
    const ask = { model: 'm', messages: [{ content: 'go' }] };
    const weather = { name: 'weather', arguments: { city: 'Oslo' } };
    const time = { name: 'time', arguments: { zone: 'UTC' } };
    const recording = recordingOf([
      { kind: 'model', request: ask },
      { kind: 'tool', request: time },
      { kind: 'tool', request: weather },
      { kind: 'model', request: { ...ask, next: true } },
    ]);
    const cursor = createReplayCursor([recording]);
    cursor.next('model', ask);
    expect(cursor.next('tool', weather).sequence).toBe(2);
    expect(cursor.next('tool', time).sequence).toBe(1);
    expect(cursor.next('model', { ...ask, next: true }).sequence).toBe(3);

    const changed = createReplayCursor([recording]);
    changed.next('model', ask);
    expect(() => changed.next('tool', { name: 'weather', arguments: { city: 'Bergen' } })).toThrow(
      ReplayMismatchError,
    );
    try {
      changed.next('model', { ...ask, next: true });
      expect.unreachable();
    } catch (error) {
      expect((error as ReplayMismatchError).details).toMatchObject({ kind: 'tool' });
    }
  });

  it('picks, among a step’s executions, the one whose first request matches', () => {
    const a = { ...recordingOf([{ kind: 'model', request: { prompt: 'a' } }]), executionId: 'exec-a' };
    const b = { ...recordingOf([{ kind: 'model', request: { prompt: 'b' } }]), executionId: 'exec-b' };
    const cursor = createReplayCursor([a, b]);
    expect(cursor.replayOf()).toBe('exec-a');
    cursor.next('model', { prompt: 'b' });
    expect(cursor.replayOf()).toBe('exec-b');
  });

  it('keeps secrets out of what it stores, but fingerprints what was sent', () => {
    const recorder = createExchangeRecorder();
    recorder.addSecrets(['sk-live-secret-123456']);
    const request = { messages: [{ content: 'key is sk-live-secret-123456' }] };
    recorder.record({ kind: 'model', request, response: ok, usage: null, latencyMs: 1 });
    const [stored] = recorder.exchanges();
    expect(JSON.stringify(stored)).not.toContain('sk-live-secret-123456');
    expect(stored?.fingerprint).toBe(fingerprintOf(request));
  });
});
