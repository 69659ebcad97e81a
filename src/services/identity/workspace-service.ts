import type { z } from 'zod';
import { FlightdeckError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { isRole, roleAllows } from '../../security/permissions.ts';
import type { Database } from '../../store/database.ts';
import { inTransaction, type Repositories, type WorkspaceRow } from '../../store/repositories/index.ts';
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

/** How long a node trusts its copy of a workspace's settings; another node's change shows within it. */
const settingsTtlMs = 5_000;

/** Workspaces: the tenant boundary. Creating one makes the caller its owner. */
export function createWorkspaceService(dependencies: {
  database: Database;
  repositories: Repositories;
  /** A deletion reaches every node's authentication cache before it answers. */
  credentialChanges?: CredentialChanges;
}) {
  const { database, repositories } = dependencies;
  const changes = dependencies.credentialChanges ?? createCredentialChanges({ database });
  const settingsCache = new Map<string, { settings: Required<WorkspaceSettings>; expiresAt: number }>();

  return {
    /**
     * The workspace's settings for the hot path (rate limits, prices): cached for a few seconds per
     * node, dropped at once when this node changes them.
     */
    async settingsOf(workspaceId: string): Promise<Required<WorkspaceSettings>> {
      const cached = settingsCache.get(workspaceId);
      if (cached && cached.expiresAt > Date.now()) return cached.settings;
      const row = await repositories.workspaces.findById(workspaceId);
      const settings = completeSettings(row?.settings);
      if (settingsCache.size > 10_000) settingsCache.clear();
      settingsCache.set(workspaceId, { settings, expiresAt: Date.now() + settingsTtlMs });
      return settings;
    },

    async create(principal: Principal, input: { name: string }): Promise<WorkspaceView> {
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

    async update(
      access: WorkspaceAccess,
      input: { name?: string; settings?: z.infer<typeof workspaceSettingsPatchSchema> },
    ): Promise<{ workspace: WorkspaceView; changed: string[] }> {
      const current = await repositories.workspaces.findById(access.workspaceId);
      if (!current) throw workspaceNotFound();
      const changes: { name?: string; settings?: WorkspaceSettings } = {};
      if (input.name !== undefined) changes.name = input.name.trim();
      if (input.settings !== undefined)
        changes.settings = mergeWorkspaceSettings(current.settings, input.settings);
      const row = await repositories.workspaces.update(access.workspaceId, changes);
      settingsCache.delete(access.workspaceId);
      if (!row) throw workspaceNotFound();
      return { workspace: toView(row, access.role), changed: Object.keys(changes) };
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
