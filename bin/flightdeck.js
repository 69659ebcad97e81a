#!/usr/bin/env node
// The CLI is TypeScript run by Node's type stripping; check the version first so an older
// Node fails with advice instead of a syntax error.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `flightdeck needs Node.js 22.12 or newer (this is ${process.versions.node}). ` +
      'Run it through npm (npm start, npx flightdeck), which uses the Node 24 the project installs.',
  );
  process.exit(1);
}
// Node's on-disk compile cache (in the system's temporary folder, or NODE_COMPILE_CACHE): a start
// after the first reuses the bytecode of our stripped TypeScript and the packages, about 300 ms of
// the 1.2 s that loading the app takes. Entries are checked against the source, so stale ones are
// ignored; a folder that cannot be written only turns the cache off.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
// Then, before any package is loaded: hooks that keep Node's ES-module loader from leaking memory
// on big package.json files (see src/cli/lean-module-loading.ts).
const { installLeanModuleLoading } = await import('../src/cli/lean-module-loading.ts');
installLeanModuleLoading();
// Then, before any module of the app: with tracing on, the database driver's instrumentation
// hooks module loading so `pg` is patched as it loads; with tracing off it loads nothing.
await import('../src/cli/preload-tracing.ts');
await import('../src/cli/main.ts');
