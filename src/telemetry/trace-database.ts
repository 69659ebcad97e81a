let instrumented: Promise<void> | null = null;

/**
 * PostgreSQL client spans from `@opentelemetry/instrumentation-pg`. It patches `pg/lib/client.js`
 * and `pg-pool`, which `pg` loads with CommonJS `require` even when our ES modules import `pg`, so
 * its require hook sees them without an ES-module loader hook; but only if it is enabled before `pg`
 * is first loaded, hence the call from the CLI's entry point before the app's modules (see
 * `cli/preload-tracing.ts`). Query parameters never go on spans (`enhancedDatabaseReporting` off:
 * our statements are parameterised, so `db.query.text` holds placeholders, not values), and only
 * statements inside a traced operation get a span: the queue's polling makes no traces of its own.
 */
export function traceDatabaseDriver(): Promise<void> {
  instrumented ??= import('@opentelemetry/instrumentation-pg').then(({ PgInstrumentation }) => {
    new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true });
  });
  return instrumented;
}
