import { safeParseConfiguration } from '../core/configuration.ts';
import { traceDatabaseDriver } from '../telemetry/trace-database.ts';

/**
 * Loaded by bin/flightdeck.js before the CLI and the app's modules: with a traces endpoint set, the
 * database driver's instrumentation must hook module loading before `pg` is first imported. Without
 * one (or with a configuration the command will refuse anyway) nothing is loaded or hooked.
 */
const configuration = safeParseConfiguration(process.env);
if (configuration.success && configuration.value.tracesEndpoint !== undefined) {
  await traceDatabaseDriver();
}
