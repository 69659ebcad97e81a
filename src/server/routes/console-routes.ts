import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../telemetry/logger.ts';

/** Where `npm run build:web` writes the console. */
export const defaultConsoleDirectory = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** Paths that belong to the API and operations: never answered with the console's HTML. */
const serverPrefixes = ['/api', '/v1', '/hooks', '/healthz', '/readyz', '/metrics'];

/**
 * The console may talk only to this origin: scripts, connections and fonts from self. Styles allow
 * inline because Mantine and CodeMirror inject their CSS at run time; no script is ever inline.
 */
export const consoleSecurityHeaders: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const missingBuildPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Flightdeck</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>The web console is not built</h1>
<p>The API is running. To use the console, build it once with <code>npm run build:web</code> and restart.</p>
<p>The API reference is at <a href="/api/docs">/api/docs</a>.</p></body></html>`;

export interface ConsoleServing {
  plugin: FastifyPluginAsync;
  /** For the app's not-found handler: answers a browser navigation with the console; false otherwise. */
  fallback(request: FastifyRequest, reply: FastifyReply): boolean;
}

/** Serves web/dist at `/` with a single-page-app fallback, or a page explaining how to build it. */
export function consoleRoutes(options: { directory?: string; logger: Logger }): ConsoleServing {
  const directory = options.directory ?? defaultConsoleDirectory;
  const built = existsSync(`${directory}/index.html`);
  if (!built) options.logger.warn({ directory }, 'web console not built: run `npm run build:web`');

  const isConsolePath = (request: FastifyRequest) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const path = request.url.split('?')[0] ?? '/';
    return !serverPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  };

  const plugin: FastifyPluginAsync = async (app) => {
    if (!built) return;
    await app.register(fastifyStatic, {
      root: directory,
      prefix: '/',
      // Routes for the files present at start only; anything else reaches the not-found handler.
      wildcard: false,
      setHeaders(reply, filePath) {
        reply.headers(consoleSecurityHeaders);
        // Vite names assets by content hash: cache them for good, but always revalidate the HTML.
        reply.header(
          'cache-control',
          filePath.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  };
  // Registered at the root (what fastify-plugin does), so the not-found handler can use reply.sendFile.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });

  return {
    plugin,
    fallback(request, reply) {
      if (!isConsolePath(request)) return false;
      reply.headers({ ...consoleSecurityHeaders, 'cache-control': 'no-cache' });
      if (!built) {
        reply.status(200).type('text/html; charset=utf-8').send(missingBuildPage);
        return true;
      }
      reply.status(200).sendFile('index.html');
      return true;
    },
  };
}
