import { conflictError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { checkPasswordStrength, type PasswordHasher } from '../../security/password-hashing.ts';
import type { Database } from '../../store/database.ts';
import { inTransaction } from '../../store/repositories/index.ts';
import { defaultWorkspaceSettings } from './workspace-settings.ts';

const setupAlreadyDone = () =>
  conflictError('setup_already_done', 'Setup is already done. Sign in, or ask an owner to invite you.');

/** First run: the first owner and workspace, only while no user exists. */
export function createSetupService(dependencies: { database: Database; passwordHasher: PasswordHasher }) {
  const { database, passwordHasher } = dependencies;

  async function isRequired(): Promise<boolean> {
    return inTransaction(database, async (scoped) => (await scoped.users.count()) === 0);
  }

  /**
   * Creates the first user with the given role (owner for setup) and a workspace, atomically.
   * Two concurrent calls cannot both succeed: the second finds a user and answers 409.
   */
  async function createFirstOwner(input: {
    email: string;
    name: string;
    passwordHash: string | null;
    workspaceName: string;
  }) {
    return inTransaction(database, async (scoped) => {
      // Serialises first-owner creation across nodes.
      await scoped.locks.lockUntilCommit('flightdeck:setup');
      if ((await scoped.users.count()) > 0) throw setupAlreadyDone();
      const user = await scoped.users.insert({
        id: newId(),
        email: input.email.trim(),
        name: input.name.trim(),
        passwordHash: input.passwordHash,
      });
      const workspace = await scoped.workspaces.insert({
        id: newId(),
        name: input.workspaceName.trim(),
        settings: defaultWorkspaceSettings,
      });
      await scoped.workspaces.addMember(workspace.id, user.id, 'owner');
      return { user, workspace };
    });
  }

  return {
    isRequired,
    createFirstOwner,

    /**
     * The setup form: the first owner with a password, and their workspace. Once setup is done it
     * answers 409 before spending time on hashing; a weak password is refused before hashing too.
     */
    async completeSetup(input: { email: string; name: string; password: string; workspaceName: string }) {
      if (!(await isRequired())) throw setupAlreadyDone();
      checkPasswordStrength(input.password);
      return createFirstOwner({
        email: input.email,
        name: input.name,
        passwordHash: await passwordHasher.hash(input.password),
        workspaceName: input.workspaceName,
      });
    },
  };
}

export type SetupService = ReturnType<typeof createSetupService>;
