import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring } from '../../src/security/keyring.ts';
import { makeMasterKey } from '../../src/security/keyring-master-keys.ts';
import { createPasswordHasher } from '../../src/security/password-hashing.ts';
import { createServices } from '../../src/services/create-services.ts';
import { rotateMasterKey, storedSecrets } from '../../src/services/provider-keys/prepare-keyring.ts';
import { createWorkspaceFixture } from '../support/identity-fixture.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

describe('master key rotation', () => {
  const oldKey = makeMasterKey('old', randomBytes(32));
  const newKey = makeMasterKey('new', randomBytes(32));
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp({ keyring: createKeyring([oldKey]) });
  });
  afterAll(() => testApp.close());

  it('re-encrypts every secret under the new key while reads go on', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'rotation');
    const access = {
      workspaceId: fixture.workspaceId,
      role: 'owner' as const,
      userId: fixture.users.owner,
      tokenId: null,
    };
    const actor = { userId: fixture.users.owner, tokenId: null, address: null, userAgent: null };
    const secrets = new Map<string, string>();
    for (let index = 0; index < 40; index++) {
      const apiKey = `sk-rotate-${index}-${randomBytes(6).toString('hex')}`;
      const key = await testApp.services.providerKeys.create(access, actor, {
        provider: 'openai',
        label: `k${index}`,
        apiKey,
      });
      secrets.set(key.id, apiKey);
    }
    secrets.set(fixture.targetProviderKeyId, '');

    // A second node that already knows both keys, the new one active.
    const rotating = createServices({
      store: testApp.store,
      publicUrl: 'http://127.0.0.1:3000',
      keyring: createKeyring([newKey, oldKey]),
      passwordHasher: createPasswordHasher({ cost: 2 ** 10 }),
    });
    let reading = true;
    let reads = 0;
    let passes = 0;
    const reader = (async () => {
      // Reads interleave with the rotation's updates; at least two full passes whatever the timing.
      while (reading || passes < 2) {
        passes++;
        for (const [id, apiKey] of secrets) {
          if (!apiKey) continue;
          const credentials = await rotating.providerKeys.resolve(fixture.workspaceId, {
            provider: 'openai',
            providerKeyId: id,
          });
          expect(credentials.apiKey).toBe(apiKey);
          reads++;
        }
      }
    })();
    const result = await rotateMasterKey({
      keyring: rotating.providerKeys.keyring,
      repositories: rotating.repositories,
    });
    reading = false;
    await reader;

    expect(reads).toBeGreaterThanOrEqual(80);
    expect(result.skipped).toBe(0);
    expect(result.rotated).toBeGreaterThanOrEqual(41);
    for await (const secret of storedSecrets(rotating.repositories))
      expect(secret.envelope.startsWith('v1:new:')).toBe(true);

    // Only the new key is needed afterwards.
    const newOnly = createServices({
      store: testApp.store,
      publicUrl: 'http://127.0.0.1:3000',
      keyring: createKeyring([newKey]),
    });
    const [someId, someKey] = [...secrets].find(([, apiKey]) => apiKey) ?? ['', ''];
    const credentials = await newOnly.providerKeys.resolve(fixture.workspaceId, {
      provider: 'openai',
      providerKeyId: someId,
    });
    expect(credentials.apiKey).toBe(someKey);
    const second = await rotateMasterKey({
      keyring: createKeyring([newKey]),
      repositories: rotating.repositories,
    });
    expect(second.rotated).toBe(0);
  });

  it('leaves a secret replaced during rotation as the newer write made it', async () => {
    const fixture = await createWorkspaceFixture(testApp.services, 'race');
    const row = await testApp.services.repositories.providerKeys.find(
      fixture.workspaceId,
      fixture.targetProviderKeyId,
    );
    if (!row) throw new Error('missing fixture key');
    const replaced = await testApp.services.repositories.providerKeys.replaceEnvelope(
      row.id,
      'not-the-current-value',
      'x',
    );
    expect(replaced).toBe(false);
    const unchanged = await testApp.services.repositories.providerKeys.find(fixture.workspaceId, row.id);
    expect(unchanged?.secretEnvelope).toBe(row.secretEnvelope);
  });
});
