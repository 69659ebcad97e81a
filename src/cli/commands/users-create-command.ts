import { invalidError } from '../../core/errors.ts';
import { checkPasswordStrength } from '../../security/password-hashing.ts';
import { isRole, roles } from '../../security/permissions.ts';
import { newPasswordLink } from '../../services/identity/authentication-service.ts';
import { createLogger } from '../../telemetry/logger.ts';
import { loadConfiguration } from '../load-configuration.ts';
import { openRuntime } from '../open-runtime.ts';

export interface UsersCreateOptions {
  email: string;
  name?: string;
  role: string;
  workspace?: string;
  workspaceName: string;
  passwordStdin?: boolean;
}

/** Standard input without its trailing newline (a password piped in). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * `flightdeck users create`: the first owner on a headless install (with a workspace), or a member
 * of an existing workspace. Without --password-stdin it prints a one-time set-password link.
 */
export async function usersCreateCommand(options: UsersCreateOptions): Promise<void> {
  const configuration = loadConfiguration();
  const logger = createLogger({ level: 'warn' });
  if (!isRole(options.role)) {
    throw invalidError('role_invalid', `--role must be one of ${roles.join(', ')}.`);
  }
  const password = options.passwordStdin ? await readStdin() : null;
  if (password !== null) checkPasswordStrength(password);
  const { store, services } = await openRuntime(configuration, logger);
  try {
    const passwordHash = password === null ? null : await services.passwordHasher.hash(password);
    const name = options.name ?? options.email.split('@')[0] ?? options.email;
    let userId: string;
    let workspaceId: string;
    let passwordLinkNeeded = passwordHash === null;
    if (await services.setup.isRequired()) {
      if (options.role !== 'owner')
        throw invalidError('role_invalid', 'The first user must be an owner (--role owner).');
      const created = await services.setup.createFirstOwner({
        email: options.email,
        name,
        passwordHash,
        workspaceName: options.workspaceName,
      });
      userId = created.user.id;
      workspaceId = created.workspace.id;
    } else {
      if (!options.workspace) {
        throw invalidError(
          'workspace_required',
          'Setup is done: name the workspace to add the user to (--workspace <id>).',
        );
      }
      const workspace = await services.repositories.workspaces.findById(options.workspace);
      if (!workspace) throw invalidError('workspace_not_found', `No workspace with id ${options.workspace}.`);
      const owner = (await services.repositories.workspaces.listMembers(workspace.id)).find(
        (member) => member.role === 'owner',
      );
      const access = {
        workspaceId: workspace.id,
        role: 'owner' as const,
        userId: owner?.userId ?? '',
        tokenId: null,
      };
      const added = await services.members.add(access, { email: options.email, role: options.role, name });
      userId = added.member.userId;
      workspaceId = workspace.id;
      if (added.invitation) {
        passwordLinkNeeded = false;
        if (passwordHash) await services.repositories.users.setPassword(userId, passwordHash);
        else if (added.invitation.setPasswordUrl === null)
          process.stdout.write(`Invitation emailed to ${added.member.email} (link valid 7 days).\n`);
        else
          process.stdout.write(
            `Set-password link (valid 7 days, shown once): ${added.invitation.setPasswordUrl}\n`,
          );
      }
      if (added.member.status === 'pending') {
        // An existing, unverified account: it joins when its holder signs in and accepts.
        passwordLinkNeeded = false;
        process.stdout.write(
          `${added.member.email} already has an account with an unconfirmed address: the membership is pending until they sign in and accept it at ${configuration.publicUrl}/invitations.\n`,
        );
      }
    }
    if (passwordHash === null && passwordLinkNeeded) {
      const link = newPasswordLink(services.clock);
      await services.repositories.passwordTokens.insert({
        tokenHash: link.tokenHash,
        userId,
        expiresAt: link.expiresAt,
      });
      process.stdout.write(
        `Set-password link (valid 7 days, shown once): ${configuration.publicUrl}/set-password#token=${link.token}\n`,
      );
    }
    process.stdout.write(`User ${options.email} is ${options.role} of workspace ${workspaceId}.\n`);
  } finally {
    await services.close();
    await store.close();
  }
}
