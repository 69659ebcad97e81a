import { z } from 'zod';

/**
 * The process configuration, read from the environment once (by the CLI) and validated here.
 * This module is pure: it parses whatever environment object it is given.
 */

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

const postgresUrl = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .refine((text) => /^postgres(ql)?:\/\//.test(text) && URL.canParse(text), {
      message: 'a PostgreSQL URL such as postgres://user:password@host:5432/database',
    })
    .optional(),
);

const redisUrl = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .refine((text) => /^rediss?:\/\//.test(text) && URL.canParse(text), {
      message: 'a Redis URL such as redis://127.0.0.1:6379',
    })
    .optional(),
);

const httpUrl = z.string().refine((text) => /^https?:\/\//.test(text) && URL.canParse(text), {
  message: 'an http(s) URL such as http://127.0.0.1:4318',
});

const integerBetween = (minimum: number, maximum: number, fallback: number, what: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\d+$/, { message: `${what}: a whole number from ${minimum} to ${maximum}` })
      .transform(Number)
      .pipe(
        z
          .number()
          .min(minimum, { message: `${what}: a whole number from ${minimum} to ${maximum}` })
          .max(maximum, { message: `${what}: a whole number from ${minimum} to ${maximum}` }),
      )
      .optional()
      .default(fallback),
  );

const processesMessage = 'a number of serving processes from 1 to 64, or auto (one per CPU core)';

const environmentSchema = z.object({
  PORT: integerBetween(0, 65_535, 3000, 'a TCP port'),
  HOST: z.preprocess(emptyToUndefined, z.string().min(1).default('127.0.0.1')),
  FLIGHTDECK_DATA_DIR: z.preprocess(emptyToUndefined, z.string().min(1).default('./.flightdeck')),
  FLIGHTDECK_GROUP_COMMIT: z.preprocess(emptyToUndefined, z.enum(['on', 'off']).default('on')),
  FLIGHTDECK_PGLITE_WORKER: z.preprocess(emptyToUndefined, z.enum(['on', 'off']).default('off')),
  FLIGHTDECK_PROCESSES: z.preprocess(
    emptyToUndefined,
    z
      .union(
        [
          z.literal('auto'),
          z.coerce
            .number({ error: processesMessage })
            .int({ error: processesMessage })
            .min(1, { error: processesMessage })
            .max(64, { error: processesMessage }),
        ],
        { error: () => processesMessage },
      )
      .default(1),
  ),
  FLIGHTDECK_BUDGET_LEASES: z.preprocess(emptyToUndefined, z.enum(['on', 'off']).default('on')),
  DATABASE_URL: postgresUrl,
  REDIS_URL: redisUrl,
  FLIGHTDECK_MASTER_KEY: z.preprocess(emptyToUndefined, z.string().optional()),
  FLIGHTDECK_PUBLIC_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine((text) => /^https?:\/\//.test(text) && URL.canParse(text), {
        message: 'an http(s) URL such as https://flightdeck.example.com',
      })
      .optional(),
  ),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(logLevels, { message: `one of ${logLevels.join(', ')}` }).default('info'),
  ),
  FLIGHTDECK_BODY_LIMIT_BYTES: integerBetween(1024, 1024 * 1024 * 1024, 1024 * 1024, 'a size in bytes'),
  FLIGHTDECK_SHUTDOWN_TIMEOUT_MS: integerBetween(0, 600_000, 10_000, 'milliseconds'),
  FLIGHTDECK_ALLOWED_PROVIDER_HOSTS: z.preprocess(emptyToUndefined, z.string().default('')),
  FLIGHTDECK_WORKERS: integerBetween(0, 1_000, 8, 'a number of workflow runs driven at once (0: none)'),
  FLIGHTDECK_QUEUE_HEARTBEAT_SECONDS: integerBetween(10, 3_600, 10, 'seconds (at least 10)'),
  FLIGHTDECK_QUEUE_MONITOR_SECONDS: integerBetween(1, 3_600, 5, 'seconds'),
  FLIGHTDECK_METRICS_TOKEN: z.preprocess(emptyToUndefined, z.string().optional()),
  FLIGHTDECK_METRICS_PORT: integerBetween(0, 65_535, 9464, 'a TCP port (0: off)'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(emptyToUndefined, httpUrl.optional()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.preprocess(emptyToUndefined, httpUrl.optional()),
  OTEL_SERVICE_NAME: z.preprocess(emptyToUndefined, z.string().min(1).default('flightdeck')),
  FLIGHTDECK_TRUSTED_PROXIES: z.preprocess(emptyToUndefined, z.string().default('')),
  FLIGHTDECK_OVERLOAD_EVENT_LOOP_DELAY_MS: integerBetween(0, 60_000, 1_000, 'milliseconds (0: off)'),
  FLIGHTDECK_OVERLOAD_HEAP_PERCENT: integerBetween(0, 100, 90, 'a percentage of the heap limit (0: off)'),
  FLIGHTDECK_OVERLOAD_RETRY_AFTER_SECONDS: integerBetween(1, 3_600, 5, 'seconds'),
  FLIGHTDECK_SMTP_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine((text) => /^smtps?:\/\//.test(text) && URL.canParse(text), {
        message: 'an SMTP URL such as smtp://user:password@mail.example.com:587 or smtps://…:465',
      })
      .optional(),
  ),
  FLIGHTDECK_EMAIL_FROM: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .max(320)
      .refine((text) => /^[^\r\n]*@[^\r\n]+$/.test(text), {
        message: 'a sender such as "Flightdeck <flightdeck@example.com>" (one line, with an address)',
      })
      .optional(),
  ),
  FLIGHTDECK_ALERTMANAGER_SECRET: z.preprocess(
    emptyToUndefined,
    z.string().min(16, { message: 'a shared secret of at least 16 characters' }).optional(),
  ),
});

export type LogLevel = (typeof logLevels)[number];

export interface Configuration {
  port: number;
  host: string;
  dataDirectory: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  masterKey: string | undefined;
  /** The URL users open; defaults to http://host:port. */
  publicUrl: string;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
  /** Raw comma-separated list; the provider layer parses it. */
  allowedProviderHosts: string;
  /** Workflow runs this process drives at once; 0 on API-only nodes. */
  workers: number;
  /** A run whose worker sent no heartbeat for this long goes to another worker. */
  queueHeartbeatSeconds: number;
  queueMonitorSeconds: number;
  /** When set, `GET /metrics` asks for `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Where `flightdeck worker` serves its own `/metrics` (it serves no API); 0 turns that off. */
  metricsPort: number;
  /** The secret Alertmanager sends to `POST /api/alerts/alertmanager`; the receiver is off without it. */
  alertmanagerSecret: string | undefined;
  /**
   * Where invitations, password resets, address verification and alerts are sent (nodemailer);
   * undefined: no email, and invitation links are handed to the admin who invites.
   */
  email: { smtpUrl: string; from: string } | undefined;
  /**
   * Where traces go by OTLP/HTTP: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or
   * OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`; undefined (no tracing at all) when neither is set.
   */
  tracesEndpoint: string | undefined;
  serviceName: string;
  /**
   * Raw comma-separated addresses or CIDRs of the reverse proxies whose X-Forwarded-For is
   * believed (Fastify's trustProxy); empty: the client address is the socket's peer.
   */
  trustedProxies: string;
  /** Execution records and budget settlements of one event-loop turn share statements (default on). */
  groupCommit: boolean;
  /** Nodes hand out budget holds from leased slices (default on; docs/decisions/2026-12-02-budget-leases.md). */
  budgetLeases: boolean;
  /** Embedded PGlite runs on a worker thread instead of the event loop (default off while it soaks). */
  pgliteWorker: boolean;
  /** `flightdeck serve` processes sharing the port (PostgreSQL only); `auto` is one per CPU core. */
  processes: number | 'auto';
  /**
   * When the node sheds load with 503 `overloaded`: a mean event-loop delay per second above
   * `maxEventLoopDelayMs`, or heap use above `maxHeapUsedPercent` of V8's limit (0 turns either off).
   */
  overload: { maxEventLoopDelayMs: number; maxHeapUsedPercent: number; retryAfterSeconds: number };
}

export type ConfigurationResult =
  | { success: true; value: Configuration }
  | { success: false; problems: Array<{ variable: string; message: string }> };

/** Parses the environment; returns every problem at once so a user fixes them in one go. */
export function safeParseConfiguration(environment: Record<string, string | undefined>): ConfigurationResult {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    return {
      success: false,
      problems: parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? 'environment'),
        message: issue.message,
      })),
    };
  }
  const values = parsed.data;
  if (values.FLIGHTDECK_SMTP_URL !== undefined && values.FLIGHTDECK_EMAIL_FROM === undefined) {
    return {
      success: false,
      problems: [
        {
          variable: 'FLIGHTDECK_EMAIL_FROM',
          message: 'a sender such as "Flightdeck <flightdeck@example.com>" when FLIGHTDECK_SMTP_URL is set',
        },
      ],
    };
  }
  if (values.FLIGHTDECK_PROCESSES !== 1 && values.DATABASE_URL === undefined) {
    return {
      success: false,
      problems: [
        {
          variable: 'FLIGHTDECK_PROCESSES',
          message:
            '1 without DATABASE_URL: the embedded database (PGlite) belongs to one process; several serving processes need PostgreSQL',
        },
      ],
    };
  }
  const displayHost = values.HOST === '0.0.0.0' || values.HOST === '::' ? '127.0.0.1' : values.HOST;
  const hostForUrl = displayHost.includes(':') ? `[${displayHost}]` : displayHost;
  return {
    success: true,
    value: {
      port: values.PORT,
      host: values.HOST,
      dataDirectory: values.FLIGHTDECK_DATA_DIR,
      databaseUrl: values.DATABASE_URL,
      redisUrl: values.REDIS_URL,
      masterKey: values.FLIGHTDECK_MASTER_KEY,
      publicUrl: (values.FLIGHTDECK_PUBLIC_URL ?? `http://${hostForUrl}:${values.PORT}`).replace(/\/+$/, ''),
      logLevel: values.LOG_LEVEL,
      bodyLimitBytes: values.FLIGHTDECK_BODY_LIMIT_BYTES,
      shutdownTimeoutMs: values.FLIGHTDECK_SHUTDOWN_TIMEOUT_MS,
      allowedProviderHosts: values.FLIGHTDECK_ALLOWED_PROVIDER_HOSTS,
      workers: values.FLIGHTDECK_WORKERS,
      queueHeartbeatSeconds: values.FLIGHTDECK_QUEUE_HEARTBEAT_SECONDS,
      queueMonitorSeconds: values.FLIGHTDECK_QUEUE_MONITOR_SECONDS,
      metricsToken: values.FLIGHTDECK_METRICS_TOKEN,
      metricsPort: values.FLIGHTDECK_METRICS_PORT,
      alertmanagerSecret: values.FLIGHTDECK_ALERTMANAGER_SECRET,
      email:
        values.FLIGHTDECK_SMTP_URL === undefined || values.FLIGHTDECK_EMAIL_FROM === undefined
          ? undefined
          : { smtpUrl: values.FLIGHTDECK_SMTP_URL, from: values.FLIGHTDECK_EMAIL_FROM },
      tracesEndpoint:
        values.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
        (values.OTEL_EXPORTER_OTLP_ENDPOINT === undefined
          ? undefined
          : `${values.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`),
      serviceName: values.OTEL_SERVICE_NAME,
      trustedProxies: values.FLIGHTDECK_TRUSTED_PROXIES.trim(),
      groupCommit: values.FLIGHTDECK_GROUP_COMMIT === 'on',
      budgetLeases: values.FLIGHTDECK_BUDGET_LEASES === 'on',
      pgliteWorker: values.FLIGHTDECK_PGLITE_WORKER === 'on',
      processes: values.FLIGHTDECK_PROCESSES,
      overload: {
        maxEventLoopDelayMs: values.FLIGHTDECK_OVERLOAD_EVENT_LOOP_DELAY_MS,
        maxHeapUsedPercent: values.FLIGHTDECK_OVERLOAD_HEAP_PERCENT,
        retryAfterSeconds: values.FLIGHTDECK_OVERLOAD_RETRY_AFTER_SECONDS,
      },
    },
  };
}

/** Formats configuration problems as the message printed before the process stops. */
export function describeConfigurationProblems(
  problems: Array<{ variable: string; message: string }>,
): string {
  const lines = problems.map((problem) => `  ${problem.variable}: expected ${problem.message}`);
  return `Invalid configuration:\n${lines.join('\n')}`;
}
