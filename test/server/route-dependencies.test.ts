import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Routes call services, never the parts services are made of (issue 11): a route that reads
 * `repositories`, hashes a password or asks the clock skips the layer that owns the rule. And each
 * route plugin is handed only the services it calls, so its signature says what it can reach.
 * A static scan of the sources: a route added later is held to it the day it is written.
 */
const routesDirectory = fileURLToPath(new URL('../../src/server/routes/', import.meta.url));
const createAppPath = fileURLToPath(new URL('../../src/server/create-app.ts', import.meta.url));

const routeFiles = readdirSync(routesDirectory)
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
  .map((name) => ({ name, source: readFileSync(join(routesDirectory, name), 'utf8') }));

/** The code without comments, so prose about "the clock" is not a finding. */
function codeOf(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const forbiddenImports: Array<{ pattern: RegExp; what: string }> = [
  { pattern: /\/store\/repositories\//, what: 'the repositories' },
  { pattern: /\/security\/password-hashing\.ts/, what: 'the password hasher' },
  { pattern: /\/core\/clock\.ts/, what: 'the clock' },
];
const forbiddenNames =
  /\b(repositories|Repositories|passwordHasher|PasswordHasher|clock|Clock|systemClock)\b/g;

/** What a route file reaches that it should reach through a service; empty when clean. */
function forbiddenUses(source: string): string[] {
  const code = codeOf(source);
  const findings: string[] = [];
  for (const match of code.matchAll(/from\s+'([^']+)'/g)) {
    const path = match[1] ?? '';
    for (const { pattern, what } of forbiddenImports) {
      if (pattern.test(path)) findings.push(`imports ${what} (${path})`);
    }
  }
  // Module paths were judged above; here only what the code names.
  for (const match of code.replace(/from\s+'[^']+'/g, "from ''").matchAll(forbiddenNames)) {
    findings.push(`names \`${match[1]}\``);
  }
  return findings;
}

/**
 * How the file's plugins take services: the whole bag (`Services` outside a `Pick`) is a finding,
 * and so is a picked service the file never calls.
 */
function dependencyFindings(source: string): string[] {
  const code = codeOf(source);
  const findings: string[] = [];
  const unpicked = code
    .replace(/Pick<Services,[^>]*>/g, '')
    .replace(/import type \{ Services \} from '[^']+';/, '');
  if (/\bServices\b/.test(unpicked)) findings.push('takes the whole Services bag');
  for (const pick of code.matchAll(/Pick<Services,([^>]*)>/g)) {
    for (const key of (pick[1] ?? '').matchAll(/'(\w+)'/g)) {
      const name = key[1] ?? '';
      if (!new RegExp(`\\b${name}\\.\\w`).test(code))
        findings.push(`is given \`${name}\` but never calls it`);
    }
  }
  return findings;
}

/** `xRoutes(…)` calls in create-app that hand over `services` itself rather than the services named. */
function bagPassingRegistrations(source: string): string[] {
  const code = codeOf(source);
  const findings: string[] = [];
  for (const call of code.matchAll(/\b(\w+Routes)\(/g)) {
    let depth = 1;
    let index = (call.index ?? 0) + call[0].length;
    const start = index;
    while (index < code.length && depth > 0) {
      if (code[index] === '(') depth += 1;
      if (code[index] === ')') depth -= 1;
      index += 1;
    }
    const argumentsText = code.slice(start, index - 1);
    if (/\bservices\b(?!\s*\.)/.test(argumentsText)) findings.push(call[1] ?? '');
  }
  return findings;
}

describe('route files call services only', () => {
  it('finds the route files', () => {
    expect(routeFiles.length).toBeGreaterThan(15);
  });

  it('no route file imports or names the repositories, the password hasher or the clock', () => {
    const findings = routeFiles.flatMap(({ name, source }) =>
      forbiddenUses(source).map((finding) => `${name} ${finding}`),
    );
    expect(findings).toEqual([]);
  });

  it('each route plugin is typed with only the services it calls', () => {
    const findings = routeFiles.flatMap(({ name, source }) =>
      dependencyFindings(source).map((finding) => `${name} ${finding}`),
    );
    expect(findings).toEqual([]);
  });

  it('create-app hands each route plugin the services it names, never the whole bag', () => {
    expect(bagPassingRegistrations(readFileSync(createAppPath, 'utf8'))).toEqual([]);
  });

  it('the scan catches what it is meant to catch', () => {
    const offending = [
      "import type { Repositories } from '../../store/repositories/index.ts';",
      "import { createPasswordHasher } from '../../security/password-hashing.ts';",
      'export function badRoutes(dependencies: { services: Services }) {',
      '  const { services } = dependencies;',
      '  // the clock in a comment is fine',
      '  return () => services.repositories.agents.find(services.clock.now());',
      '}',
    ].join('\n');
    expect(forbiddenUses(offending)).toEqual([
      'imports the repositories (../../store/repositories/index.ts)',
      'imports the password hasher (../../security/password-hashing.ts)',
      'names `Repositories`',
      'names `repositories`',
      'names `clock`',
    ]);
    expect(dependencyFindings(offending)).toEqual(['takes the whole Services bag']);
    expect(
      dependencyFindings("function x(d: Pick<Services, 'agents' | 'audit'>) { d; agents.get(); }"),
    ).toEqual(['is given `audit` but never calls it']);
    expect(
      bagPassingRegistrations(
        'app.register(agentRoutes({ services })); app.register(auditRoutes({ audit: services.audit }));',
      ),
    ).toEqual(['agentRoutes']);
  });
});
