import type { Clock } from '../../core/clock.ts';
import { conflictError, invalidError, notFoundError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Keyring } from '../../security/keyring.ts';
import type { Database } from '../../store/database.ts';
import { inTransaction, type Repositories, type WorkspaceSecretRow } from '../../store/repositories/index.ts';
import { isUniqueViolation } from '../../store/unique-violation.ts';
import type { AuditActor, AuditLog } from '../audit/audit-log.ts';
import type { WorkspaceAccess } from '../identity/principal.ts';

/** A secret as every answer shows it: never the value, at most its last four characters. */
export interface WorkspaceSecretView {
  id: string;
  name: string;
  lastFour: string;
  createdAt: Date;
  updatedAt: Date;
}

/** The envelope purpose of these secrets; the AAD also binds the workspace and the row id. */
export const workspaceSecretPurpose = 'user-secret';

/** Upper case, digits and underscores, starting with a letter: `{{ secrets.GITHUB_TOKEN }}`. */
export const secretNamePattern = /^[A-Z][A-Z0-9_]{0,63}$/;
export const maxSecretValueLength = 8192;
/** Shorter values show no characters at all: four of eight would give half the secret away. */
const minLengthToShowLastFour = 12;
const mask = '••••';

function toView(row: WorkspaceSecretRow): WorkspaceSecretView {
  return {
    id: row.id,
    name: row.name,
    lastFour: `${mask}${row.lastFour}`,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function lastFourOf(value: string): string {
  return value.length >= minLengthToShowLastFour ? value.slice(-4) : '';
}

function checkName(name: string): void {
  if (!secretNamePattern.test(name)) {
    throw invalidError(
      'secret_name_invalid',
      'A secret name is 1 to 64 upper-case letters, digits and underscores, starting with a letter (e.g. GITHUB_TOKEN).',
      { name },
    );
  }
}

function checkValue(value: string): void {
  if (value.length < 1 || value.length > maxSecretValueLength) {
    throw invalidError(
      'secret_value_invalid',
      `A secret value is 1 to ${maxSecretValueLength} characters long.`,
      { length: value.length },
    );
  }
}

const secretNotFound = (name: string) =>
  notFoundError('secret_not_found', `No secret named ${name} in this workspace.`, { name });

/** Named workspace secrets for workflow http steps: encrypted at rest, never answered, audited by name. */
export function createWorkspaceSecretService(dependencies: {
  /** Each change commits with its audit event; without it (tests of the rules alone) they run apart. */
  database?: Database;
  repositories: Repositories;
  keyring: Keyring;
  clock: Clock;
  audit: AuditLog;
}) {
  const { repositories, keyring, clock, audit } = dependencies;
  const audited = <Result>(work: (scoped: Repositories) => Promise<Result>): Promise<Result> =>
    dependencies.database ? inTransaction(dependencies.database, work) : work(repositories);
  const contextOf = (workspaceId: string, id: string) => ({
    workspaceId,
    secretId: id,
    purpose: workspaceSecretPurpose,
  });

  return {
    async list(access: WorkspaceAccess): Promise<WorkspaceSecretView[]> {
      return (await repositories.workspaceSecrets.list(access.workspaceId)).map(toView);
    },

    async create(
      access: WorkspaceAccess,
      actor: AuditActor,
      input: { name: string; value: string },
    ): Promise<WorkspaceSecretView> {
      checkName(input.name);
      checkValue(input.value);
      const id = newId();
      const now = clock.now();
      let row: WorkspaceSecretRow;
      try {
        row = await audited(async (scoped) => {
          const inserted = await scoped.workspaceSecrets.insert({
            id,
            workspaceId: access.workspaceId,
            name: input.name,
            secretEnvelope: keyring.encrypt(input.value, contextOf(access.workspaceId, id)),
            lastFour: lastFourOf(input.value),
            createdBy: access.userId,
            createdAt: now,
            updatedAt: now,
          });
          await audit.record(
            access.workspaceId,
            actor,
            'secret.created',
            { type: 'secret', id: inserted.id },
            { name: inserted.name },
            scoped,
          );
          return inserted;
        });
      } catch (error) {
        if (isUniqueViolation(error, 'user_secrets_workspace_name')) {
          throw conflictError(
            'secret_name_taken',
            `The workspace already has a secret named ${input.name}; replace its value with PUT …/secrets/${input.name}.`,
            { name: input.name },
          );
        }
        throw error;
      }
      return toView(row);
    },

    /** Replaces the value; the name is the secret's identity in templates, so it does not change. */
    async update(
      access: WorkspaceAccess,
      actor: AuditActor,
      name: string,
      input: { value: string },
    ): Promise<WorkspaceSecretView> {
      const current = await repositories.workspaceSecrets.findByName(access.workspaceId, name);
      if (!current) throw secretNotFound(name);
      checkValue(input.value);
      const row = await audited(async (scoped) => {
        const replaced = await scoped.workspaceSecrets.replaceValue(access.workspaceId, name, {
          secretEnvelope: keyring.encrypt(input.value, contextOf(access.workspaceId, current.id)),
          lastFour: lastFourOf(input.value),
          updatedAt: clock.now(),
        });
        // Deleted and created again between the two statements: the new row has another id, so the
        // envelope made for the old one would not decrypt there; answer as if it had gone (and
        // roll the replacement back with it).
        if (!replaced || replaced.id !== current.id) throw secretNotFound(name);
        await audit.record(
          access.workspaceId,
          actor,
          'secret.updated',
          { type: 'secret', id: replaced.id },
          { name: replaced.name },
          scoped,
        );
        return replaced;
      });
      return toView(row);
    },

    async remove(access: WorkspaceAccess, actor: AuditActor, name: string): Promise<void> {
      await audited(async (scoped) => {
        const row = await scoped.workspaceSecrets.delete(access.workspaceId, name);
        if (!row) throw secretNotFound(name);
        await audit.record(
          access.workspaceId,
          actor,
          'secret.deleted',
          { type: 'secret', id: row.id },
          { name: row.name },
          scoped,
        );
      });
    },

    /**
     * The decrypted values by name, for the workflow engine to render `{{ secrets.NAME }}`. Held only
     * in the caller's memory; throws `secret_not_found` (400) naming the first missing secret.
     */
    async resolve(workspaceId: string, names: readonly string[]): Promise<Record<string, string>> {
      const wanted = [...new Set(names)];
      const rows = await repositories.workspaceSecrets.findByNames(workspaceId, wanted);
      const rowByName = new Map(rows.map((row) => [row.name, row]));
      const values: Record<string, string> = {};
      for (const name of wanted) {
        const row = rowByName.get(name);
        if (!row) {
          throw invalidError(
            'secret_not_found',
            `The workspace has no secret named ${name}. Add it under Settings → Secrets (POST /api/workspaces/${workspaceId}/secrets).`,
            { name },
          );
        }
        values[name] = keyring.decrypt(row.secretEnvelope, contextOf(workspaceId, row.id));
      }
      return values;
    },
  };
}

export type WorkspaceSecretService = ReturnType<typeof createWorkspaceSecretService>;
