import { LRUCache } from 'lru-cache';
import type { z } from 'zod';
import { FlightdeckError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { isRole, roleAllows } from '../../security/permissions.ts';
import type { Database } from '../../store/database.ts';
import { inTransaction, type Repositories, type WorkspaceRow } from '../../store/repositories/index.ts';
import type { AuditActor, AuditLog } from '../audit/audit-log.ts';
import { type CredentialChanges, createCredentialChanges } from './credential-changes.ts';
import type { Principal, WorkspaceAccess } from './principal.ts';
import { workspaceNotFound } from './workspace-access.ts';
import {
  completeSettings,
  defaultWorkspaceSettings,
  mergeWorkspaceSettings,
  type WorkspaceSettings,
  type workspaceSettingsPatchSchema,
} from './workspace-settings.ts';

export interface WorkspaceView {
  id: string;
  name: string;
  role: string;
  settings: Required<WorkspaceSettings>;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Webhook URLs often carry a token in their path (Slack, Teams): only those who manage settings see
 * the whole URL; others see its origin, enough to know alerts go somewhere.
 */
function maskWebhookUrl(url: string | null, role: string): string | null {
  if (url === null || (isRole(role) && roleAllows(role, 'manage_settings'))) return url;
  return URL.canParse(url) ? `${new URL(url).origin}/…` : '…';
}

function toView(row: WorkspaceRow, role: string): WorkspaceView {
  const settings = completeSettings(row.settings);
  return {
    id: row.id,
    name: row.name,
    role,
    settings: { ...settings, alertWebhookUrl: maskWebhookUrl(settings.alertWebhookUrl, role) },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Webhook URLs often embed a token (Slack, Teams): the audit records that it changed, not its value. */
function auditedChanges(input: {
  name?: string;
  settings?: z.infer<typeof workspaceSettingsPatchSchema>;
}): Record<string, unknown> {
  if (input.settings?.alertWebhookUrl === undefined) return { ...input };
  return { ...input, settings: { ...input.settings, alertWebhookUrl: '[changed]' } };
}

/** Calls made straight through the service (the CLI, fixtures) are audited as the access's holder. */
function actorOfAccess(access: WorkspaceAccess): AuditActor {
  return { userId: access.userId, tokenId: access.tokenId, address: null, userAgent: null };
}

function actorOfPrincipal(principal: Principal): AuditActor {
  return principal.kind === 'user'
    ? { userId: principal.userId, email: principal.email, tokenId: null, address: null, userAgent: null }
    : { userId: null, tokenId: principal.tokenId, address: null, userAgent: null };
}

/** How long a node trusts its copy of a workspace's settings; another node's change shows within it. */
const settingsTtlMs = 5_000;

/** Workspaces: the tenant boundary. Creating one makes the caller its owner. */
export function createWorkspaceService(dependencies: {
  database: Database;
  repositories: Repositories;
  /** A deletion reaches every node's authentication cache before it answers. */
  credentialChanges?: CredentialChanges;
  /** Creations and changes are audited in their own transaction. */
  audit: AuditLog;
  /** The SSRF guard for the alert webhook URL, applied when it is saved (not only when it is called). */
  checkWebhookUrl?: (url: string) => Promise<void>;
  /** Told after settings changed (the budget's leases read the new limit). */
  onSettingsChanged?: (workspaceId: string) => Promise<void>;
}) {
  const { database, repositories, audit } = dependencies;
  const onSettingsChanged = dependencies.onSettingsChanged ?? (async () => {});
  const checkWebhookUrl = dependencies.checkWebhookUrl ?? (async () => {});
  const changes = dependencies.credentialChanges ?? createCredentialChanges({ database });
  const settingsCache = new LRUCache<string, Required<WorkspaceSettings>>({
    max: 10_000,
    ttl: settingsTtlMs,
  });

  return {
    /**
     * The workspace's settings for the hot path (rate limits, prices): cached for a few seconds per
     * node, dropped at once when this node changes them.
     */
    async settingsOf(workspaceId: string): Promise<Required<WorkspaceSettings>> {
      const cached = settingsCache.get(workspaceId);
      if (cached) return cached;
      const row = await repositories.workspaces.findById(workspaceId);
      const settings = completeSettings(row?.settings);
      settingsCache.set(workspaceId, settings);
      return settings;
    },

    async create(
      principal: Principal,
      input: { name: string },
      actor: AuditActor = actorOfPrincipal(principal),
    ): Promise<WorkspaceView> {
      if (principal.kind !== 'user') {
        throw new FlightdeckError({
          code: 'session_required',
          kind: 'forbidden',
          message: 'API tokens belong to one workspace and cannot create workspaces. Sign in to create one.',
        });
      }
      return inTransaction(database, async (scoped) => {
        const row = await scoped.workspaces.insert({
          id: newId(),
          name: input.name.trim(),
          settings: defaultWorkspaceSettings,
        });
        await scoped.workspaces.addMember(row.id, principal.userId, 'owner');
        await audit.record(
          row.id,
          actor,
          'workspace.created',
          { type: 'workspace', id: row.id },
          { name: row.name },
          scoped,
        );
        return toView(row, 'owner');
      });
    },

    async list(principal: Principal): Promise<WorkspaceView[]> {
      if (principal.kind === 'token') {
        const row = await repositories.workspaces.findById(principal.workspaceId);
        return row ? [toView(row, principal.role)] : [];
      }
      const rows = await repositories.workspaces.listForUser(principal.userId);
      return rows.map((row) => toView(row, row.role));
    },

    async get(access: WorkspaceAccess): Promise<WorkspaceView> {
      const row = await repositories.workspaces.findById(access.workspaceId);
      if (!row) throw workspaceNotFound();
      return toView(row, access.role);
    },

    /**
     * Renames or merges settings under a row lock (concurrent patches of different fields all
     * apply), and records the audit event in the same transaction.
     */
    async update(
      access: WorkspaceAccess,
      input: { name?: string; settings?: z.infer<typeof workspaceSettingsPatchSchema> },
      actor: AuditActor = actorOfAccess(access),
    ): Promise<{ workspace: WorkspaceView; changed: string[] }> {
      const webhookUrl = input.settings?.alertWebhookUrl;
      if (typeof webhookUrl === 'string') await checkWebhookUrl(webhookUrl);
      const result = await inTransaction(database, async (scoped) => {
        const current = await scoped.workspaces.findByIdForUpdate(access.workspaceId);
        if (!current) throw workspaceNotFound();
        const changes: { name?: string; settings?: WorkspaceSettings } = {};
        if (input.name !== undefined) changes.name = input.name.trim();
        if (input.settings !== undefined)
          changes.settings = mergeWorkspaceSettings(current.settings, input.settings);
        const changed = Object.keys(changes);
        const row =
          changed.length > 0 ? await scoped.workspaces.update(access.workspaceId, changes) : current;
        if (!row) throw workspaceNotFound();
        if (changed.length > 0) {
          await audit.record(
            access.workspaceId,
            actor,
            'workspace.settings_changed',
            { type: 'workspace', id: access.workspaceId },
            { changed: auditedChanges(input) },
            scoped,
          );
        }
        return { workspace: toView(row, access.role), changed };
      });
      settingsCache.delete(access.workspaceId);
      if (input.settings !== undefined) await onSettingsChanged(access.workspaceId);
      return result;
    },

    async delete(access: WorkspaceAccess): Promise<void> {
      const deleted = await changes.commit(async (scoped, announce) => {
        const found = await scoped.workspaces.delete(access.workspaceId);
        if (found) announce({ kind: 'workspace-deleted', workspaceId: access.workspaceId });
        return found;
      });
      if (!deleted) throw workspaceNotFound();
    },
  };
}

export type WorkspaceService = ReturnType<typeof createWorkspaceService>;
