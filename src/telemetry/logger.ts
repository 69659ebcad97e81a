import pino, { type Logger } from 'pino';
import type { LogLevel } from '../core/configuration.ts';
import { redactSecrets } from '../core/redact-secrets.ts';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  level: LogLevel;
  /** Human-readable lines; defaults to true when stdout is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go (tests capture them); defaults to stdout. */
  destination?: pino.DestinationStream;
}

/** A workflow webhook URL carries its secret as the last path segment: logs keep only the workflow id. */
const webhookPathSecret = /^(\/hooks\/workflows\/[^/?#]+\/)[^/?#]+/;

/** Request lines name the URL; one that is a credential (a webhook's) is logged without it. */
function redactRequestUrl(object: Record<string, unknown>): Record<string, unknown> {
  const request = object.req as { url?: unknown } | undefined;
  if (typeof request?.url !== 'string' || !webhookPathSecret.test(request.url)) return object;
  return { ...object, req: { ...request, url: request.url.replace(webhookPathSecret, '$1[redacted]') } };
}

/**
 * JSON logs with secrets removed before they are written: headers that carry credentials
 * by path, and any field whose name says key, secret, token or password by walking the object.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const pretty = options.pretty ?? (process.stdout.isTTY === true && options.destination === undefined);
  const configuration: pino.LoggerOptions = {
    level: options.level,
    base: undefined,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-api-key"]',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
    formatters: {
      log: (object) => redactRequestUrl(redactSecrets(object) as Record<string, unknown>),
    },
  };
  if (options.destination) return pino(configuration, options.destination);
  if (pretty) {
    return pino({
      ...configuration,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } },
    });
  }
  // Synchronous writes: lines logged just before process.exit (shutdown, refusals) are never lost.
  return pino(configuration, pino.destination({ dest: 1, sync: true }));
}

/** A logger that writes nothing: the default where a caller passes none. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
