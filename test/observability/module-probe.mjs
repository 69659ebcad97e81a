// Loaded with `node --import` into a Flightdeck process by traces-process.test.ts: records which
// instrumentation modules the process loads and whether it hooks module loading, and prints that as
// one line when the process exits. The probe's own registerHooks is the only hook it adds.
import module from 'node:module';

const watched =
  /\/node_modules\/(@opentelemetry\/instrumentation[^/]*|@fastify\/otel|import-in-the-middle|require-in-the-middle)\//;
const loaded = new Set();
const registrations = [];
const originalRequire = module.prototype.require;

module.registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const match = watched.exec(resolved.url);
    if (match) loaded.add(match[1]);
    return resolved;
  },
});

// Any later module.register / module.registerHooks by the app is counted (named imports included).
const { register, registerHooks } = module;
module.register = (...parameters) => {
  registrations.push(`register ${String(parameters[0])}`);
  return register(...parameters);
};
module.registerHooks = (...parameters) => {
  registrations.push('registerHooks');
  return registerHooks(...parameters);
};
module.syncBuiltinESMExports();

process.on('exit', () => {
  const report = {
    loaded: [...loaded].sort(),
    registrations,
    requireHooked: module.prototype.require !== originalRequire,
  };
  process.stderr.write(`\nmodule-probe ${JSON.stringify(report)}\n`);
});
