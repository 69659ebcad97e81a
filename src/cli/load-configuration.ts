import {
  type Configuration,
  describeConfigurationProblems,
  safeParseConfiguration,
} from '../core/configuration.ts';

/** Reads the environment once; on a bad value prints what to fix and stops the process. */
export function loadConfiguration(environment: NodeJS.ProcessEnv = process.env): Configuration {
  const result = safeParseConfiguration(environment);
  if (result.success) return result.value;
  process.stderr.write(`${describeConfigurationProblems(result.problems)}\n`);
  process.exit(78); // EX_CONFIG
}
