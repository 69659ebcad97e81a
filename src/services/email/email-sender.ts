/** One message to one address; the text is the whole message (no HTML, no tracking). */
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** What the message is, for logs and metrics: `invitation`, `password_reset`, `alert`… */
  kind: string;
  /** Strings in the message that are credentials (link tokens): never logged, even in errors. */
  secrets?: string[];
}

export type EmailDelivery = { sent: true } | { sent: false; reason: string };

/**
 * The email port. `configured` is false when no SMTP server is set: callers then hand links to
 * the admin instead. `send` never throws; a failed send is a result, so it never fails the
 * request that caused it.
 */
export interface EmailSender {
  readonly configured: boolean;
  send(message: EmailMessage): Promise<EmailDelivery>;
  close(): Promise<void>;
}

/** The null object used without FLIGHTDECK_SMTP_URL: sends nothing, says so. */
export const disabledEmailSender: EmailSender = {
  configured: false,
  send: async () => ({ sent: false, reason: 'email is not configured' }),
  close: async () => undefined,
};
