import { LRUCache } from 'lru-cache';
import type { Clock } from '../../core/clock.ts';
import { FlightdeckError, invalidError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { ProviderError } from '../../llm/provider-error.ts';
import { type ConnectionTestResult, testProviderConnection } from '../../llm/test-provider-connection.ts';
import type { Keyring } from '../../security/keyring.ts';
import { type AllowedHosts, checkProviderUrl, type HostLookup } from '../../security/ssrf-guard.ts';
import type { Database } from '../../store/database.ts';
import { inTransaction, type ProviderKeyRow, type Repositories } from '../../store/repositories/index.ts';
import type { AuditActor, AuditLog } from '../audit/audit-log.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';
import type {
  KeyedProviderKind,
  ProviderCredentialResolver,
  ProviderCredentials,
} from './provider-credentials.ts';

export interface ProviderKeyView {
  id: string;
  provider: string;
  label: string;
  lastFour: string;
  baseUrl: string | null;
  isDefault: boolean;
  createdAt: Date;
  updatedAt: Date;
  rotatedAt: Date | null;
  lastUsedAt: Date | null;
  lastTest: { at: Date; ok: boolean; errorCode: string | null; latencyMs: number | null } | null;
}

export interface ProviderKeyInput {
  provider: KeyedProviderKind;
  label: string;
  apiKey: string;
  baseUrl?: string | null | undefined;
  isDefault?: boolean | undefined;
}

export interface ProviderKeyUpdate {
  label?: string | undefined;
  apiKey?: string | undefined;
  baseUrl?: string | null | undefined;
  isDefault?: boolean | undefined;
}

const purpose = 'provider-key';

function toView(row: ProviderKeyRow): ProviderKeyView {
  return {
    id: row.id,
    provider: row.provider,
    label: row.label,
    lastFour: row.lastFour,
    baseUrl: row.baseUrl,
    isDefault: row.isDefault,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    rotatedAt: row.rotatedAt,
    lastUsedAt: row.lastUsedAt,
    lastTest: row.lastTestedAt
      ? {
          at: row.lastTestedAt,
          ok: row.lastTestOk === true,
          errorCode: row.lastTestErrorCode,
          latencyMs: row.lastTestLatencyMs,
        }
      : null,
  };
}

function lastFourOf(secret: string): string {
  return secret.length <= 8 ? '' : secret.slice(-4);
}

const keyNotFound = () =>
  notFoundError('provider_key_not_found', 'No provider key with this id in this workspace.');

/** Provider keys: encrypted at rest, masked in every answer, tested, rotated and audited. */
export function createProviderKeyService(dependencies: {
  database: Database;
  repositories: Repositories;
  keyring: Keyring;
  clock: Clock;
  audit: AuditLog;
  allowedHosts: AllowedHosts;
  lookup?: HostLookup;
  fetch?: typeof globalThis.fetch;
}) {
  const { database, repositories, keyring, clock, audit } = dependencies;

  /** Normalises and checks a base URL; openai-compatible keys must have one. */
  async function checkBaseUrl(
    provider: KeyedProviderKind,
    baseUrl: string | null | undefined,
  ): Promise<string | null> {
    const trimmed = baseUrl?.trim().replace(/\/+$/, '') || null;
    if (provider === 'openai-compatible' && !trimmed) {
      throw invalidError(
        'base_url_required',
        'An openai-compatible key needs the base URL of the API, such as http://localhost:11434/v1.',
      );
    }
    if (trimmed)
      await checkProviderUrl(trimmed, {
        allowedHosts: dependencies.allowedHosts,
        lookup: dependencies.lookup,
      });
    return trimmed;
  }

  function runTest(
    provider: KeyedProviderKind,
    apiKey: string,
    baseUrl: string | null,
  ): Promise<ConnectionTestResult> {
    return testProviderConnection({
      kind: provider,
      apiKey,
      baseUrl,
      fetch: dependencies.fetch,
      allowedHosts: dependencies.allowedHosts,
      lookup: dependencies.lookup,
    });
  }

  function decrypt(row: ProviderKeyRow): string {
    return keyring.decrypt(row.secretEnvelope, { workspaceId: row.workspaceId, secretId: row.id, purpose });
  }

  /**
   * Decrypted credentials by workspace and key (or default provider), for a few seconds: an
   * execution then needs neither the key lookup nor the decryption. Changes made through this
   * service drop the workspace's entries at once; another node's change shows within the TTL.
   * Held only in this process's memory and never logged.
   */
  const credentialTtlMs = 5_000;
  const credentialCache = new LRUCache<string, ProviderCredentials>({
    max: 1_000,
    ttl: credentialTtlMs,
    // The injected clock, so tests that move time expire entries as production time would.
    perf: { now: () => clock.now().getTime() },
  });
  /** When this process last wrote each key's `last_used_at` (the column is minute-grained anyway). */
  const touchedAt = new Map<string, number>();
  /**
   * Loads in progress by cache key: when an entry expires under load, the 64 executions that miss it
   * at once share one key lookup and decryption instead of running 64.
   */
  const loading = new Map<string, Promise<ProviderCredentials>>();
  const forgetWorkspace = (workspaceId: string) => {
    for (const cacheKey of credentialCache.keys())
      if (cacheKey.startsWith(`${workspaceId}|`)) credentialCache.delete(cacheKey);
    // A load that started before the change may have read the old key: it must not be cached or shared.
    for (const cacheKey of loading.keys())
      if (cacheKey.startsWith(`${workspaceId}|`)) loading.delete(cacheKey);
  };

  async function load(
    workspaceId: string,
    request: Parameters<ProviderCredentialResolver['resolve']>[1],
    nowMs: number,
  ): Promise<ProviderCredentials> {
    const row = request.providerKeyId
      ? await repositories.providerKeys.find(workspaceId, request.providerKeyId)
      : await repositories.providerKeys.findDefault(workspaceId, request.provider);
    if (!row || row.provider !== request.provider) {
      throw new ProviderError({
        code: 'provider_not_configured',
        provider: request.provider,
        detail: request.providerKeyId
          ? `the agent's ${request.provider} key no longer exists`
          : `this workspace has no default ${request.provider} key`,
      });
    }
    const apiKey = decrypt(row);
    await touch(row.id, nowMs);
    return { providerKeyId: row.id, provider: request.provider, apiKey, baseUrl: row.baseUrl };
  }

  const resolver: ProviderCredentialResolver = {
    async resolve(workspaceId, request): Promise<ProviderCredentials> {
      const cacheKey = `${workspaceId}|${request.provider}|${request.providerKeyId ?? ''}`;
      const nowMs = clock.now().getTime();
      const cached = credentialCache.get(cacheKey);
      // More than a TTL left: stored under a clock that has since moved back; do not trust it.
      if (cached && credentialCache.getRemainingTTL(cacheKey) <= credentialTtlMs) {
        await touch(cached.providerKeyId, nowMs);
        return cached;
      }
      const pending = loading.get(cacheKey);
      if (pending) return pending;
      const loaded = load(workspaceId, request, nowMs);
      loading.set(cacheKey, loaded);
      try {
        const credentials = await loaded;
        // Still the current load (no change to the workspace's keys meanwhile): keep it.
        if (loading.get(cacheKey) === loaded) credentialCache.set(cacheKey, credentials);
        return credentials;
      } finally {
        if (loading.get(cacheKey) === loaded) loading.delete(cacheKey);
      }
    },
  };

  /** Records use at most once a minute per key from this process (the repository also only moves it by the minute). */
  async function touch(providerKeyId: string, nowMs: number): Promise<void> {
    const last = touchedAt.get(providerKeyId);
    if (last !== undefined && nowMs - last < 60_000 && nowMs >= last) return;
    if (touchedAt.size >= 10_000) touchedAt.clear();
    touchedAt.set(providerKeyId, nowMs);
    await repositories.providerKeys.touch(providerKeyId, new Date(nowMs));
  }

  return {
    /** The keyring in use, for rotation. */
    keyring,
    resolve: resolver.resolve,

    async list(access: WorkspaceAccess): Promise<ProviderKeyView[]> {
      return (await repositories.providerKeys.list(access.workspaceId)).map(toView);
    },

    async get(access: WorkspaceAccess, id: string): Promise<ProviderKeyView> {
      const row = await repositories.providerKeys.find(access.workspaceId, id);
      if (!row) throw keyNotFound();
      return toView(row);
    },

    async create(
      access: WorkspaceAccess,
      actor: AuditActor,
      input: ProviderKeyInput,
    ): Promise<ProviderKeyView> {
      const baseUrl = await checkBaseUrl(input.provider, input.baseUrl);
      const id = newId();
      const now = clock.now();
      const secretEnvelope = keyring.encrypt(input.apiKey, {
        workspaceId: access.workspaceId,
        secretId: id,
        purpose,
      });
      const row = await inTransaction(database, async (scoped) => {
        const existingDefault = await scoped.providerKeys.findDefault(access.workspaceId, input.provider);
        // The first key of a provider is its default unless told otherwise.
        const isDefault = input.isDefault ?? !existingDefault;
        if (isDefault && existingDefault)
          await scoped.providerKeys.clearDefault(access.workspaceId, input.provider);
        const inserted = await scoped.providerKeys.insert({
          id,
          workspaceId: access.workspaceId,
          provider: input.provider,
          label: input.label.trim(),
          secretEnvelope,
          lastFour: lastFourOf(input.apiKey),
          baseUrl,
          isDefault,
          createdBy: access.userId,
          createdAt: now,
          updatedAt: now,
        });
        // In the key's transaction: a key never exists without its audit event.
        await audit.record(
          access.workspaceId,
          actor,
          'provider_key.created',
          { type: 'provider_key', id },
          {
            provider: inserted.provider,
            label: inserted.label,
            baseUrl: inserted.baseUrl,
            isDefault: inserted.isDefault,
          },
          scoped,
        );
        return inserted;
      });
      forgetWorkspace(access.workspaceId);
      return toView(row);
    },

    /** Renames, replaces the secret, moves the base URL (only with the secret again) or sets the default. */
    async update(
      access: WorkspaceAccess,
      actor: AuditActor,
      id: string,
      input: ProviderKeyUpdate,
    ): Promise<ProviderKeyView> {
      const current = await repositories.providerKeys.find(access.workspaceId, id);
      if (!current) throw keyNotFound();
      const provider = current.provider as KeyedProviderKind;
      const changes: Parameters<Repositories['providerKeys']['update']>[2] = {};
      const changed: string[] = [];
      if (input.baseUrl !== undefined) {
        const baseUrl = await checkBaseUrl(provider, input.baseUrl);
        if (baseUrl !== current.baseUrl) {
          // A stored key is never sent to a new host: whoever moves it must know the secret.
          if (input.apiKey === undefined) {
            throw invalidError(
              'secret_required_for_base_url_change',
              'Changing the base URL of a stored key needs the API key again (send apiKey with baseUrl).',
            );
          }
          changes.baseUrl = baseUrl;
          changed.push('baseUrl');
        }
      }
      if (input.label !== undefined && input.label.trim() !== current.label) {
        changes.label = input.label.trim();
        changed.push('label');
      }
      if (input.apiKey !== undefined) {
        changes.secretEnvelope = keyring.encrypt(input.apiKey, {
          workspaceId: access.workspaceId,
          secretId: id,
          purpose,
        });
        changes.lastFour = lastFourOf(input.apiKey);
        changes.rotatedAt = clock.now();
        // The last test was of the old secret.
        Object.assign(changes, {
          lastTestedAt: null,
          lastTestOk: null,
          lastTestErrorCode: null,
          lastTestLatencyMs: null,
        });
        changed.push('apiKey');
      }
      const row = await inTransaction(database, async (scoped) => {
        if (input.isDefault === true && !current.isDefault) {
          await scoped.providerKeys.clearDefault(access.workspaceId, provider);
          changes.isDefault = true;
          changed.push('isDefault');
        } else if (input.isDefault === false && current.isDefault) {
          changes.isDefault = false;
          changed.push('isDefault');
        }
        const updated = await scoped.providerKeys.update(access.workspaceId, id, changes);
        if (!updated) return updated;
        // The change and its audit events commit together.
        if (changed.includes('apiKey')) {
          await audit.record(
            access.workspaceId,
            actor,
            'provider_key.rotated',
            { type: 'provider_key', id },
            { label: updated.label },
            scoped,
          );
        }
        const otherChanges = changed.filter((field) => field !== 'apiKey');
        if (otherChanges.length > 0) {
          await audit.record(
            access.workspaceId,
            actor,
            'provider_key.updated',
            { type: 'provider_key', id },
            {
              changed: otherChanges,
              label: updated.label,
              baseUrl: updated.baseUrl,
              isDefault: updated.isDefault,
            },
            scoped,
          );
        }
        return updated;
      });
      forgetWorkspace(access.workspaceId);
      if (!row) throw keyNotFound();
      return toView(row);
    },

    async delete(access: WorkspaceAccess, actor: AuditActor, id: string): Promise<void> {
      const deleted = await inTransaction(database, async (scoped) => {
        const row = await scoped.providerKeys.delete(access.workspaceId, id);
        if (row?.isDefault) {
          // Keep the provider usable: the oldest remaining key becomes the default.
          const [next] = (await scoped.providerKeys.list(access.workspaceId)).filter(
            (candidate) => candidate.provider === row.provider,
          );
          if (next) await scoped.providerKeys.update(access.workspaceId, next.id, { isDefault: true });
        }
        if (row) {
          await audit.record(
            access.workspaceId,
            actor,
            'provider_key.deleted',
            { type: 'provider_key', id },
            { provider: row.provider, label: row.label },
            scoped,
          );
        }
        return row;
      });
      forgetWorkspace(access.workspaceId);
      if (!deleted) throw keyNotFound();
    },

    /** Tests a stored key with a real, free call and records the result on the key. */
    async test(access: WorkspaceAccess, actor: AuditActor, id: string): Promise<ConnectionTestResult> {
      const row = await repositories.providerKeys.find(access.workspaceId, id);
      if (!row) throw keyNotFound();
      const result = await runTest(row.provider as KeyedProviderKind, decrypt(row), row.baseUrl);
      await repositories.providerKeys.recordTest(access.workspaceId, id, {
        at: clock.now(),
        ok: result.ok,
        errorCode: result.errorCode,
        latencyMs: result.latencyMs,
      });
      await audit.record(
        access.workspaceId,
        actor,
        'provider_key.tested',
        { type: 'provider_key', id },
        {
          ok: result.ok,
          errorCode: result.errorCode,
        },
      );
      return result;
    },

    /** Tests a key before it is saved; nothing is stored but the audit event. */
    async testUnsaved(
      access: WorkspaceAccess,
      actor: AuditActor,
      input: { provider: KeyedProviderKind; apiKey: string; baseUrl?: string | null | undefined },
    ): Promise<ConnectionTestResult> {
      let baseUrl: string | null;
      try {
        baseUrl = await checkBaseUrl(input.provider, input.baseUrl);
      } catch (error) {
        if (FlightdeckError.isInstance(error) && error.code === 'provider_url_refused') {
          return {
            ok: false,
            latencyMs: 0,
            statusCode: null,
            errorCode: 'provider_url_refused',
            message: error.message,
          };
        }
        throw error;
      }
      const result = await runTest(input.provider, input.apiKey, baseUrl);
      await audit.record(
        access.workspaceId,
        actor,
        'provider_key.tested',
        { type: 'unsaved_provider_key', id: null },
        {
          provider: input.provider,
          baseUrl,
          ok: result.ok,
          errorCode: result.errorCode,
        },
      );
      return result;
    },
  };
}

export type ProviderKeyService = ReturnType<typeof createProviderKeyService>;
