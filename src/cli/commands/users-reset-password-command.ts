import { checkPasswordStrength } from '../../security/password-hashing.ts';
import { createLogger } from '../../telemetry/logger.ts';
import { loadConfiguration } from '../load-configuration.ts';
import { openRuntime } from '../open-runtime.ts';
import { readStdin } from './users-create-command.ts';

/**
 * `flightdeck users reset-password`: for an owner locked out of their account, run on the machine
 * that holds the data. With --password-stdin it sets the password, ends the account's sessions and
 * clears its sign-in throttle; without it, it prints a one-time set-password link valid one hour.
 */
export async function usersResetPasswordCommand(options: {
  email: string;
  passwordStdin?: boolean;
}): Promise<void> {
  const configuration = loadConfiguration();
  const logger = createLogger({ level: 'warn' });
  const password = options.passwordStdin ? await readStdin() : null;
  if (password !== null) checkPasswordStrength(password);
  const { store, services } = await openRuntime(configuration, logger);
  try {
    const passwordHash = password === null ? null : await services.passwordHasher.hash(password);
    const reset = await services.authentication.resetPasswordAsOperator(options.email, passwordHash);
    if (reset.linkToken === null) {
      process.stdout.write(
        `Password of ${options.email} set; its sessions ended and its sign-in throttle cleared.\n`,
      );
    } else {
      process.stdout.write(
        `Set-password link for ${options.email} (valid 1 hour, shown once): ${configuration.publicUrl}/set-password#token=${reset.linkToken}\n`,
      );
    }
  } finally {
    await services.close();
    await store.close();
  }
}
