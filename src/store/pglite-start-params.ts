import { PGlite } from '@electric-sql/pglite';

/**
 * PostgreSQL's shared buffer pool inside PGlite. Its WebAssembly memory touches the whole pool at
 * start, so the default 128 MB was a quarter of an embedded node's idle RSS; 32 MB holds the rows an
 * embedded install works on, and pages outside it come from the operating system's file cache
 * (docs/decisions/2026-12-02-idle-footprint.md).
 */
const pgliteSharedBuffers = '32MB';

/**
 * PGlite's own start parameters plus the buffer pool; PGlite's defaults alone if it hides them.
 * Its own module so the worker thread opens PGlite the same way without loading the whole store.
 */
export function pgliteStartParams(): string[] | undefined {
  const defaults = (PGlite as unknown as { defaultStartParams?: unknown }).defaultStartParams;
  if (!Array.isArray(defaults)) return undefined;
  return [...defaults.map(String), '-c', `shared_buffers=${pgliteSharedBuffers}`];
}
