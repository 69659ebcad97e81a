import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { defaultWorkspaceSettings } from '../../src/services/identity/workspace-settings.ts';
import { createWorkspaceFixture, headersFor, type WorkspaceFixture } from '../support/identity-fixture.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

type SettingName = keyof typeof defaultWorkspaceSettings;

/**
 * A distinct value per round for every settings field. A new field fails to compile here until it
 * joins the race.
 */
const valueInRound: Record<SettingName, (round: number) => unknown> = {
  rateLimitPerMinute: (round) => 1_000 + round,
  monthlyBudgetUsd: (round) => 10 + round / 100,
  alertThresholds: (round) => [10 + round, 90],
  alertWebhookUrl: (round) => `http://127.0.0.1:9/hook-${round}`,
  priceOverrides: (round) => [
    { model: `custom-${round}`, inputPerMillionUsd: round, outputPerMillionUsd: 2 },
  ],
  approverRoles: (round) => (round % 2 === 0 ? ['admin'] : ['admin', 'member']),
  traceContent: (round) => round % 2 === 1,
  recordExecutions: (round) => round % 2 === 0,
  storeExecutionContent: (round) => round % 2 === 1,
  executionRetentionDays: (round) => 30 + round,
};

describe.each(storeTargets)('workspace updates on $name', (target) => {
  let testApp: TestApp;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const opened = await target.open();
    dispose = opened.dispose;
    testApp = await createTestApp({ store: opened.store });
  });
  afterAll(async () => {
    await testApp.app.close();
    await dispose();
  });

  function client(fixture: WorkspaceFixture) {
    const headers = headersFor(fixture.sessions.owner);
    const url = `/api/workspaces/${fixture.workspaceId}`;
    return {
      patch: (payload: unknown) =>
        testApp.app.inject({ method: 'PATCH', url, headers, payload: payload as object }),
      patchRaw: (text: string) =>
        testApp.app.inject({
          method: 'PATCH',
          url,
          headers: { ...headers, 'content-type': 'application/json' },
          payload: text,
        }),
      get: async () => (await testApp.app.inject({ method: 'GET', url, headers })).json(),
      auditCount: async () =>
        (
          await testApp.app.inject({
            method: 'GET',
            url: `${url}/audit-events?action=workspace.settings_changed&limit=200`,
            headers,
          })
        ).json().items.length as number,
    };
  }

  it('applies every field when concurrent PATCHes each set a different one', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'settings-race');
    const api = client(fixture);
    const fields = Object.keys(valueInRound) as SettingName[];
    const auditBefore = await api.auditCount();
    const rounds = 8;
    for (let round = 0; round < rounds; round++) {
      const answers = await Promise.all([
        ...fields.map((field) => api.patch({ settings: { [field]: valueInRound[field](round) } })),
        api.patch({ name: `Renamed ${round}` }),
      ]);
      expect(answers.map((answer) => answer.statusCode)).toEqual(answers.map(() => 200));
      const workspace = await api.get();
      expect(workspace.name).toBe(`Renamed ${round}`);
      for (const field of fields) {
        expect({ field, value: workspace.settings[field] }).toEqual({
          field,
          value: valueInRound[field](round),
        });
      }
    }
    // Each applied change has its audit event: none lost, none extra.
    expect((await api.auditCount()) - auditBefore).toBe(rounds * (fields.length + 1));
  }, 120_000);

  it('refuses a lone surrogate with 400 invalid_text and applies nothing, audit included', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'surrogate');
    const api = client(fixture);
    const before = await api.get();
    const auditBefore = await api.auditCount();
    for (const text of [
      '{"name":"renamed\\ud800"}',
      '{"name":"renamed","settings":{"alertWebhookUrl":"http://127.0.0.1:9/\\udfff"}}',
      '{"name":"renamed\\u0000"}',
      '{"name":"renamed","settings":{"\\ud800":1}}',
    ]) {
      const answer = await api.patchRaw(text);
      expect({ text, status: answer.statusCode }).toEqual({ text, status: 400 });
      expect(answer.json().error.code).toBe('invalid_text');
      expect(answer.json().error.message).toMatch(/^body\//);
    }
    expect(await api.get()).toEqual(before);
    expect(await api.auditCount()).toBe(auditBefore);
  });
});
