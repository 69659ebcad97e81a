import { Command } from 'commander';
import { migrateCommand } from './commands/migrate-command.ts';
import { serveCommand } from './commands/serve-command.ts';
import { flightdeckVersion } from './version.ts';

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
  .action(serveCommand);

program
  .command('migrate')
  .description('Apply pending database migrations and exit (safe while other nodes run)')
  .action(migrateCommand);

await program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`flightdeck: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
