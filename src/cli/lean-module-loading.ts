import { readFileSync, statSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname, extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Module-loading hooks that keep Node from re-reading big package.json files.
 *
 * Why: Node's ES-module loader (seen on 24.21 and 26.12) asks "which package scope is this file
 * in?" several times for every module it resolves and loads, and each answer leaves about 1.3× the
 * package.json's size in memory that garbage collection never returns. Most packages have a few
 * kilobytes of package.json; drizzle-orm has 175 KB and we load 112 of its modules, which cost
 * 130 MB of a serving node's idle RSS (docs/decisions/2026-12-02-idle-footprint.md).
 *
 * The hooks answer those two questions for files inside node_modules from a per-directory cache:
 * a relative import from an ES module in a `"type": "module"` package resolves by URL (when the
 * target is a file), and such a file loads as an ES module from disk. Everything else (bare
 * specifiers and their `exports` maps, CommonJS, JSON, our own TypeScript, missing files) goes to
 * Node's own resolution, so its answers and errors stay Node's.
 */
export function installLeanModuleLoading(): void {
  if (typeof registerHooks !== 'function') return; // Node before 22.15: no synchronous hooks
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const url = resolveRelativeModule(specifier, context.parentURL);
      if (url !== undefined) return { url, format: 'module', shortCircuit: true };
      return nextResolve(specifier, context);
    },
    load(url, context, nextResolve) {
      const path = esModuleInPackages(url);
      if (path !== undefined) return { format: 'module', source: readFileSync(path), shortCircuit: true };
      return nextResolve(url, context);
    },
  });
}

/** The URL of `./x.js` / `../y.js` imported from a package's ES module, when it is an ES module file. */
export function resolveRelativeModule(specifier: string, parentUrl: string | undefined): string | undefined {
  if (parentUrl === undefined || !(specifier.startsWith('./') || specifier.startsWith('../')))
    return undefined;
  if (specifier.includes('?') || specifier.includes('#') || specifier.includes('%')) return undefined;
  if (esModuleInPackages(parentUrl) === undefined) return undefined;
  const url = new URL(specifier, parentUrl).href;
  const path = esModuleInPackages(url);
  if (path === undefined || !isFile(path)) return undefined; // Node answers (and names the error)
  return url;
}

/** The file path of `url` when it is a `.js`/`.mjs` file in node_modules that Node loads as an ES module. */
export function esModuleInPackages(url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  const path = fileURLToPath(url);
  if (!path.includes(`${sep}node_modules${sep}`)) return undefined;
  const extension = extname(path);
  if (extension === '.mjs') return path;
  if (extension !== '.js') return undefined;
  return packageTypeOf(dirname(path)) === 'module' ? path : undefined;
}

type PackageType = 'module' | 'commonjs' | 'unknown';
const packageTypeByDirectory = new Map<string, PackageType>();

/** Node's rule: the nearest package.json decides; without `"type": "module"` it is CommonJS. */
function packageTypeOf(directory: string): PackageType {
  const known = packageTypeByDirectory.get(directory);
  if (known !== undefined) return known;
  let type: PackageType;
  const manifest = readManifest(join(directory, 'package.json'));
  if (manifest !== undefined) type = manifest.type === 'module' ? 'module' : 'commonjs';
  else if (directory.endsWith(`${sep}node_modules`) || dirname(directory) === directory) type = 'unknown';
  else type = packageTypeOf(dirname(directory));
  packageTypeByDirectory.set(directory, type);
  return type;
}

function readManifest(path: string): { type?: unknown } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as { type?: unknown }) : {};
  } catch {
    return { type: 'unknown' }; // Node will report the broken file when it reads it itself
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
