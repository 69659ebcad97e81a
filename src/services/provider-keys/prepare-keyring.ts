import {
  assertSecretsDecryptable,
  createKeyring,
  type Keyring,
  type StoredSecret,
} from '../../security/keyring.ts';
import { loadOrCreateMasterKeys } from '../../security/keyring-master-keys.ts';
import type { Repositories } from '../../store/repositories/index.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { workspaceSecretPurpose } from '../secrets/workspace-secret-service.ts';
import { mcpHeadersPurpose } from '../tools/mcp/mcp-server-headers.ts';

const purpose = 'provider-key';

/** A stored secret with its decryption context and a way to swap it for its re-encrypted form. */
export interface StoredSecretEntry extends StoredSecret {
  id: string;
  context: NonNullable<StoredSecret['context']>;
  /** Replaces the envelope only if it is still the one read (a newer write wins). */
  replace(replacement: string): Promise<boolean>;
}

/**
 * Every encrypted secret, page by page: provider keys, the secrets users name for http steps,
 * MCP server headers, then the system's workspace secrets (webhook signing).
 */
export async function* storedSecrets(
  repositories: Repositories,
  pageSize = 500,
): AsyncGenerator<StoredSecretEntry> {
  let afterId: string | null = null;
  for (;;) {
    const page = await repositories.providerKeys.pageOfEnvelopes(afterId, pageSize);
    for (const row of page) {
      yield {
        id: row.id,
        envelope: row.secretEnvelope,
        context: { workspaceId: row.workspaceId, secretId: row.id, purpose },
        replace: (replacement) =>
          repositories.providerKeys.replaceEnvelope(row.id, row.secretEnvelope, replacement),
      };
    }
    if (page.length < pageSize) break;
    afterId = page.at(-1)?.id ?? null;
  }
  let afterSecretId: string | null = null;
  for (;;) {
    const page = await repositories.workspaceSecrets.pageOfEnvelopes(afterSecretId, pageSize);
    for (const row of page) {
      yield {
        id: row.id,
        envelope: row.secretEnvelope,
        context: { workspaceId: row.workspaceId, secretId: row.id, purpose: workspaceSecretPurpose },
        replace: (replacement) =>
          repositories.workspaceSecrets.replaceEnvelope(row.id, row.secretEnvelope, replacement),
      };
    }
    if (page.length < pageSize) break;
    afterSecretId = page.at(-1)?.id ?? null;
  }
  let afterServerId: string | null = null;
  for (;;) {
    const page = await repositories.mcpServers.pageOfEnvelopes(afterServerId, pageSize);
    for (const row of page) {
      yield {
        id: row.id,
        envelope: row.headersEnvelope,
        context: { workspaceId: row.workspaceId, secretId: row.id, purpose: mcpHeadersPurpose },
        replace: (replacement) =>
          repositories.mcpServers.replaceEnvelope(row.id, row.headersEnvelope, replacement),
      };
    }
    if (page.length < pageSize) break;
    afterServerId = page.at(-1)?.id ?? null;
  }
  let after: { workspaceId: string; name: string } | null = null;
  for (;;) {
    const page = await repositories.notifications.pageOfSecrets(after, pageSize);
    for (const row of page) {
      yield {
        id: `${row.workspaceId}/${row.name}`,
        envelope: row.secretEnvelope,
        context: { workspaceId: row.workspaceId, secretId: row.name, purpose: 'workspace-secret' },
        replace: (replacement) =>
          repositories.notifications.replaceSecretIf(
            row.workspaceId,
            row.name,
            row.secretEnvelope,
            replacement,
          ),
      };
    }
    if (page.length < pageSize) return;
    const last = page.at(-1);
    after = last ? { workspaceId: last.workspaceId, name: last.name } : null;
  }
}

/**
 * Loads the master keys (or, embedded, creates one in the data folder and says to back it up),
 * then refuses to go on if any stored secret could not be decrypted with them.
 */
export async function prepareKeyring(options: {
  masterKeyText: string | undefined;
  dataDirectory: string;
  embedded: boolean;
  repositories: Repositories;
  logger: Logger;
}): Promise<Keyring> {
  const loaded = await loadOrCreateMasterKeys({
    configuredText: options.masterKeyText,
    dataDirectory: options.dataDirectory,
    embedded: options.embedded,
  });
  if (loaded.generated) {
    options.logger.warn(
      { path: loaded.path },
      'generated a master key for provider secrets; back this file up: without it stored provider keys cannot be decrypted',
    );
  }
  if (loaded.permissionsTooOpen) {
    options.logger.warn(
      { path: loaded.path },
      'the master key file is readable by other users; run chmod 600 on it',
    );
  }
  const keyring = createKeyring(loaded.keys);
  const secrets: StoredSecret[] = [];
  for await (const secret of storedSecrets(options.repositories)) secrets.push(secret);
  assertSecretsDecryptable(keyring, secrets);
  options.logger.info(
    { activeKeyId: keyring.activeKeyId, keyIds: keyring.keyIds, storedSecretCount: secrets.length },
    'keyring ready',
  );
  return keyring;
}

/**
 * Re-encrypts every provider secret under the active master key, one row per conditional update,
 * so it runs while the server serves: old key ids keep decrypting until it ends, and a secret
 * replaced meanwhile is left as the newer write made it.
 */
export async function rotateMasterKey(options: {
  keyring: Keyring;
  repositories: Repositories;
  onProgress?: (progress: { rotated: number; skipped: number }) => void;
}): Promise<{ rotated: number; skipped: number; alreadyCurrent: number }> {
  let rotated = 0;
  let skipped = 0;
  let alreadyCurrent = 0;
  for await (const secret of storedSecrets(options.repositories, 200)) {
    if (!options.keyring.needsRotation(secret.envelope)) {
      alreadyCurrent += 1;
      continue;
    }
    const replacement = options.keyring.reencrypt(secret.envelope, secret.context);
    if (await secret.replace(replacement)) rotated += 1;
    else skipped += 1;
    if ((rotated + skipped) % 200 === 0) options.onProgress?.({ rotated, skipped });
  }
  return { rotated, skipped, alreadyCurrent };
}
