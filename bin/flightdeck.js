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
// Two start-up settings that only take effect when the process starts, so the process replaces
// itself once with them (execve: same pid, same stdio, no parent left behind); where that is not
// possible (Windows) it runs on without them. A user's own choice of either is kept.
// - A smaller V8 young generation: on a machine with many gigabytes V8 lets each semi-space grow
//   to 64 MB and keeps what it grew while idle (73 MB resident 3 s after ready on PostgreSQL),
//   where 16 MB served the same load in the gateway bench.
// - glibc's malloc with its mmap threshold held at its default 128 KiB: by default each large
//   block freed raises the threshold (up to 32 MB), so the hundreds of megabytes V8 allocates while
//   compiling at start (PGlite's WebAssembly: a 620 MB peak) land in arenas that keep the pages. An
//   idle embedded node measured 296 MiB without and 223 MiB with it. Setting the threshold turns the
//   raise off; GLIBC_TUNABLES means nothing outside glibc.
const semiSpaceFlag = /--max-semi-space-size/;
const wantsSemiSpace =
  !process.execArgv.some((argument) => semiSpaceFlag.test(argument)) &&
  !semiSpaceFlag.test(process.env.NODE_OPTIONS ?? '');
const wantsMallocThreshold =
  process.platform === 'linux' &&
  process.env.MALLOC_MMAP_THRESHOLD_ === undefined &&
  !/glibc\.malloc\.mmap_threshold=/.test(process.env.GLIBC_TUNABLES ?? '');
if (typeof process.execve === 'function' && (wantsSemiSpace || wantsMallocThreshold)) {
  const environment = { ...process.env };
  if (wantsMallocThreshold) {
    environment.GLIBC_TUNABLES = [process.env.GLIBC_TUNABLES, 'glibc.malloc.mmap_threshold=131072']
      .filter(Boolean)
      .join(':');
  }
  try {
    process.execve(
      process.execPath,
      [
        process.execPath,
        ...(wantsSemiSpace ? ['--max-semi-space-size=16'] : []),
        ...process.execArgv,
        ...process.argv.slice(1),
      ],
      environment,
    );
  } catch {
    // Could not replace the process: run as it is.
  }
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
