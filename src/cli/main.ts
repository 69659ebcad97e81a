import { Command } from 'commander';
import { CliError, exitCodes } from './remote/cli-exit.ts';
import { registerRemoteCommands } from './remote/register-remote-commands.ts';
import { flightdeckVersion } from './version.ts';

/**
 * Each command's module is imported when the command runs, not before: the serving primary of
 * several processes (FLIGHTDECK_PROCESSES) and the remote commands never load the app.
 */
const lazily =
  <Parameters extends unknown[]>(load: () => Promise<(...parameters: Parameters) => Promise<void> | void>) =>
  async (...parameters: Parameters) =>
    (await load())(...parameters);

const program = new Command()
  .name('flightdeck')
  .description('Build, test, run and observe LLM agents and workflows.')
  .version(flightdeckVersion, '-v, --version', 'print the version')
  .showHelpAfterError();

program
  .command('serve')
  .description('Start the API and console (PGlite in FLIGHTDECK_DATA_DIR, or PostgreSQL via DATABASE_URL)')
  .addHelpText(
    'after',
    '\nConfiguration comes from the environment: PORT, HOST, FLIGHTDECK_DATA_DIR, DATABASE_URL, REDIS_URL,\n' +
      'FLIGHTDECK_MASTER_KEY, FLIGHTDECK_PUBLIC_URL, LOG_LEVEL. See the README for the full table.',
  )
  .action(lazily(async () => (await import('./commands/serve-command.ts')).serveCommand));

program
  .command('worker')
  .description('Drive workflow runs from the shared queue without serving HTTP (scaled-out mode)')
  .option('--concurrency <runs>', 'runs driven at once (default FLIGHTDECK_WORKERS, at least 1)')
  .action(lazily(async () => (await import('./commands/worker-command.ts')).workerCommand));

program
  .command('migrate')
  .description('Apply pending database migrations and exit (safe while other nodes run)')
  .action(lazily(async () => (await import('./commands/migrate-command.ts')).migrateCommand));

const users = program.command('users').description('Manage users from the command line');
users
  .command('create')
  .description('Create the first owner (headless setup) or add a user to a workspace')
  .requiredOption('--email <email>', 'the email address to sign in with')
  .option('--name <name>', 'display name (defaults to the part before @)')
  .option('--role <role>', 'owner, admin, member or viewer', 'owner')
  .option('--workspace <id>', 'the workspace to add the user to (after setup)')
  .option('--workspace-name <name>', 'name of the first workspace (setup only)', 'Default')
  .option('--password-stdin', 'read the password from standard input instead of printing a set-password link')
  .action(lazily(async () => (await import('./commands/users-create-command.ts')).usersCreateCommand));

users
  .command('reset-password')
  .description(
    'For a locked-out user: set a new password (--password-stdin) or print a one-hour set-password link',
  )
  .requiredOption('--email <email>', 'the email address the user signs in with')
  .option('--password-stdin', 'read the new password from standard input')
  .action(
    lazily(
      async () => (await import('./commands/users-reset-password-command.ts')).usersResetPasswordCommand,
    ),
  );

const keys = program.command('keys').description('Provider key encryption');
keys
  .command('rotate-master')
  .description(
    'Re-encrypt every provider secret under the first key of FLIGHTDECK_MASTER_KEY (safe while serving)',
  )
  .action(
    lazily(async () => (await import('./commands/keys-rotate-master-command.ts')).keysRotateMasterCommand),
  );

program
  .command('fake-provider')
  .description('Run an offline OpenAI/Anthropic-compatible fake provider with scriptable faults')
  .option('--port <port>', 'port to listen on', '4010')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--api-key <key>', 'accept only this key (default: any)')
  .action(lazily(async () => (await import('./commands/fake-provider-command.ts')).fakeProviderCommand));

registerRemoteCommands(program);

// Usage errors (unknown command, missing option) exit 2 so scripts can tell them from a failed run.
const exitOnUsageError = (command: Command): void => {
  command.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : exitCodes.usage));
  for (const child of command.commands) exitOnUsageError(child);
};
exitOnUsageError(program);

await program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`flightdeck: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
});
