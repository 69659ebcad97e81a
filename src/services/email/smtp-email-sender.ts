import type { Transporter } from 'nodemailer';
import type { Logger } from '../../telemetry/logger.ts';
import type { EmailDelivery, EmailMessage, EmailSender } from './email-sender.ts';

export interface SmtpEmailSettings {
  /** FLIGHTDECK_SMTP_URL: smtp://user:password@host:587 (STARTTLS when offered) or smtps://…:465. */
  url: string;
  /** FLIGHTDECK_EMAIL_FROM: `Flightdeck <flightdeck@example.com>`. */
  from: string;
  logger: Logger;
  /** A slow or silent server gives up after this long, so a request that sends never hangs on it. */
  timeoutMs?: number;
}

/** Replaces every credential in `text`; SMTP errors may quote the message back. */
function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret.length > 0) result = result.split(secret).join('[redacted]');
  return result;
}

/**
 * Sends through one SMTP server with nodemailer; failures are logged without links or the URL.
 * nodemailer is imported at the first message, not at start: most nodes send none for hours.
 */
export function createSmtpEmailSender(settings: SmtpEmailSettings): EmailSender {
  const timeoutMs = settings.timeoutMs ?? 10_000;
  let transport: Promise<Transporter> | undefined;
  const openTransport = async () => {
    const { default: nodemailer } = await import('nodemailer');
    return nodemailer.createTransport({
      url: settings.url,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      // Never let nodemailer log: its debug lines carry the message (and so the link tokens).
      logger: false,
      debug: false,
    });
  };
  return {
    configured: true,
    async send(message: EmailMessage): Promise<EmailDelivery> {
      try {
        transport ??= openTransport();
        await (await transport).sendMail({
          from: settings.from,
          to: message.to,
          // Workspace names are user input: a line break must never start a header of its own.
          subject: message.subject.replace(/[\r\n]+/g, ' '),
          text: message.text,
        });
        return { sent: true };
      } catch (error) {
        const secrets = message.secrets ?? [];
        const failure = error as { message?: unknown; code?: unknown; responseCode?: unknown };
        const reason = scrub(String(failure.message ?? error), secrets);
        settings.logger.warn(
          {
            emailKind: message.kind,
            errorCode: typeof failure.code === 'string' ? failure.code : undefined,
            responseCode: typeof failure.responseCode === 'number' ? failure.responseCode : undefined,
            reason,
          },
          'email not sent',
        );
        return { sent: false, reason };
      }
    },
    async close() {
      if (transport) (await transport).close();
    },
  };
}
