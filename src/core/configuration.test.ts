import { describe, expect, it } from 'vitest';
import { describeConfigurationProblems, safeParseConfiguration } from './configuration.ts';

describe('safeParseConfiguration', () => {
  it('applies the documented defaults to an empty environment', () => {
    const result = safeParseConfiguration({});
    expect(result).toEqual({
      success: true,
      value: {
        port: 3000,
        host: '127.0.0.1',
        dataDirectory: './.flightdeck',
        databaseUrl: undefined,
        redisUrl: undefined,
        masterKey: undefined,
        publicUrl: 'http://127.0.0.1:3000',
        logLevel: 'info',
        bodyLimitBytes: 1_048_576,
        shutdownTimeoutMs: 10_000,
        allowedProviderHosts: '',
        workers: 8,
        queueHeartbeatSeconds: 10,
        queueMonitorSeconds: 5,
        metricsToken: undefined,
        metricsPort: 9464,
        alertmanagerSecret: undefined,
        tracesEndpoint: undefined,
        serviceName: 'flightdeck',
        trustedProxies: '',
        groupCommit: true,
        budgetLeases: true,
        pgliteWorker: false,
        processes: 1,
        overload: { maxEventLoopDelayMs: 1_000, maxHeapUsedPercent: 90, retryAfterSeconds: 5 },
      },
    });
  });

  it('reads FLIGHTDECK_PROCESSES as a count or auto, and only with PostgreSQL above 1', () => {
    const postgres = 'postgres://flightdeck@db:5432/flightdeck';
    const read = (value: string, databaseUrl?: string) =>
      safeParseConfiguration({ FLIGHTDECK_PROCESSES: value, DATABASE_URL: databaseUrl });
    const two = read('2', postgres);
    expect(two.success && two.value.processes).toBe(2);
    const auto = read('auto', postgres);
    expect(auto.success && auto.value.processes).toBe('auto');
    const one = read('1');
    expect(one.success && one.value.processes).toBe(1);
    for (const bad of ['0', '65', '1.5', 'many'])
      expect(read(bad, postgres)).toEqual({
        success: false,
        problems: [
          {
            variable: 'FLIGHTDECK_PROCESSES',
            message: 'a number of serving processes from 1 to 64, or auto (one per CPU core)',
          },
        ],
      });
    const embedded = read('2');
    expect(embedded.success).toBe(false);
    expect(!embedded.success && embedded.problems[0]?.variable).toBe('FLIGHTDECK_PROCESSES');
  });

  it('reads every variable', () => {
    const result = safeParseConfiguration({
      PORT: '8080',
      HOST: '0.0.0.0',
      FLIGHTDECK_DATA_DIR: '/var/lib/flightdeck',
      DATABASE_URL: 'postgres://flightdeck@db:5432/flightdeck',
      REDIS_URL: 'redis://cache:6379',
      FLIGHTDECK_MASTER_KEY: 'a2V5',
      FLIGHTDECK_PUBLIC_URL: 'https://flightdeck.example.com/',
      LOG_LEVEL: 'debug',
      FLIGHTDECK_BODY_LIMIT_BYTES: '2048',
    });
    if (!result.success) throw new Error('expected success');
    expect(result.value.port).toBe(8080);
    expect(result.value.databaseUrl).toBe('postgres://flightdeck@db:5432/flightdeck');
    expect(result.value.publicUrl).toBe('https://flightdeck.example.com');
    expect(result.value.bodyLimitBytes).toBe(2048);
  });

  it('treats empty values as unset', () => {
    const result = safeParseConfiguration({ PORT: '', DATABASE_URL: '' });
    expect(result.success && result.value.port).toBe(3000);
    expect(result.success && result.value.databaseUrl).toBeUndefined();
  });

  it('names each invalid variable and what it accepts', () => {
    const result = safeParseConfiguration({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://localhost/db',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'localhost:6379',
    });
    expect(result.success).toBe(false);
    if (result.success) return;
    const variables = result.problems.map((problem) => problem.variable).sort();
    expect(variables).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'REDIS_URL']);
    const message = describeConfigurationProblems(result.problems);
    expect(message).toContain('PORT: expected a TCP port: a whole number from 0 to 65535');
    expect(message).toContain('DATABASE_URL: expected a PostgreSQL URL');
    expect(message).toContain('LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent');
  });

  it('reads the SMTP server and sender together, and refuses one without the other or a bad URL', () => {
    const unset = safeParseConfiguration({});
    expect(unset.success && unset.value.email).toBeUndefined();
    const configured = safeParseConfiguration({
      FLIGHTDECK_SMTP_URL: 'smtp://mailer:secret@mail.example.com:587',
      FLIGHTDECK_EMAIL_FROM: 'Flightdeck <flightdeck@example.com>',
    });
    expect(configured.success && configured.value.email).toEqual({
      smtpUrl: 'smtp://mailer:secret@mail.example.com:587',
      from: 'Flightdeck <flightdeck@example.com>',
    });
    const noSender = safeParseConfiguration({ FLIGHTDECK_SMTP_URL: 'smtps://mail.example.com:465' });
    expect(noSender.success).toBe(false);
    if (!noSender.success)
      expect(noSender.problems.map((problem) => problem.variable)).toEqual(['FLIGHTDECK_EMAIL_FROM']);
    const badUrl = safeParseConfiguration({
      FLIGHTDECK_SMTP_URL: 'mail.example.com',
      FLIGHTDECK_EMAIL_FROM: 'a@b\r\nBcc: c@d',
    });
    expect(badUrl.success).toBe(false);
    if (!badUrl.success) {
      expect(badUrl.problems.map((problem) => problem.variable).sort()).toEqual([
        'FLIGHTDECK_EMAIL_FROM',
        'FLIGHTDECK_SMTP_URL',
      ]);
    }
  });

  it('refuses a port out of range', () => {
    const result = safeParseConfiguration({ PORT: '70000' });
    expect(result.success).toBe(false);
  });
});
