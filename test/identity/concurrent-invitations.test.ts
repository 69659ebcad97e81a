import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { storeTargets } from '../support/store-targets.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Twenty workspaces invite the same new address at the same moment: one account comes out of it,
 * and every answer is 201 (or 409), never a 500 from the unique email index.
 */
describe.each(storeTargets)('concurrent invitations on $name', (target) => {
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

  /** An owner with a session and a workspace, made through the services. */
  async function ownerWithWorkspace(label: string) {
    const { services } = testApp;
    const owner = await services.repositories.users.insert({
      id: newId(),
      email: `${label}-${newId()}@example.test`,
      name: label,
      passwordHash: await services.passwordHasher.hash('owner password long'),
    });
    const workspace = await services.workspaces.create(
      {
        kind: 'user',
        userId: owner.id,
        email: owner.email,
        name: owner.name,
        sessionIdHash: '',
        csrfToken: '',
      },
      { name: `Workspace ${label}` },
    );
    const session = await services.authentication.issueSession(owner.id, { address: null, userAgent: null });
    return {
      workspaceId: workspace.id,
      headers: { cookie: `flightdeck_session=${session.sessionId}`, 'x-csrf-token': session.csrfToken },
    };
  }

  it('converges twenty workspaces inviting one new address on one account', async () => {
    const owners = await Promise.all(
      Array.from({ length: 20 }, (_, index) => ownerWithWorkspace(`race-${index}`)),
    );
    const address = `new-${newId()}@example.test`;
    const answers = await Promise.all(
      owners.map((owner, index) =>
        testApp.app.inject({
          method: 'POST',
          url: `/api/workspaces/${owner.workspaceId}/members`,
          headers: owner.headers,
          // Different cases of one address: still one account.
          payload: { email: index % 2 === 0 ? address : address.toUpperCase(), role: 'member' },
        }),
      ),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual(answers.map(() => 201));
    const userIds = new Set(answers.map((answer) => answer.json().member.userId));
    expect(userIds.size).toBe(1);
    // Exactly one workspace created the account (and got its link); the others wait for acceptance.
    const created = answers.filter((answer) => !answer.json().existingAccount);
    expect(created).toHaveLength(1);
    expect(created[0]?.json().member.status).toBe('invited');
    const pending = answers.filter((answer) => answer.json().existingAccount);
    expect(pending.map((answer) => answer.json().member.status)).toEqual(pending.map(() => 'pending'));
    expect(pending.every((answer) => answer.json().invitation === null)).toBe(true);
  });

  it('answers one 201 and nineteen 409 when one workspace invites one address twenty times at once', async () => {
    const owner = await ownerWithWorkspace('same');
    const address = `twice-${newId()}@example.test`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        testApp.app.inject({
          method: 'POST',
          url: `/api/workspaces/${owner.workspaceId}/members`,
          headers: owner.headers,
          payload: { email: address, role: 'viewer' },
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.statusCode).sort();
    expect(statuses).toEqual([201, ...Array.from({ length: 19 }, () => 409)]);
    expect(
      answers
        .filter((answer) => answer.statusCode === 409)
        .every((answer) => answer.json().error.code === 'member_exists'),
    ).toBe(true);
  });
});
