import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedEmail {
  to: string[];
  from: string;
  subject: string;
  text: string;
}

/**
 * A real SMTP server on a loopback port that keeps every message it is given, parsed. Plain
 * SMTP without TLS or AUTH, as a local relay would be; `refuse` makes it answer 550 instead.
 */
export async function startSmtpInbox() {
  const messages: ReceivedEmail[] = [];
  const waiters: Array<() => void> = [];
  let refusing = false;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      if (refusing) {
        stream.resume();
        stream.on('end', () =>
          callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 })),
        );
        return;
      }
      simpleParser(stream)
        .then((parsed: ParsedMail) => {
          const to = (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).flatMap(
            (address) => address.value.map((entry) => entry.address ?? ''),
          );
          messages.push({
            to,
            from: parsed.from?.text ?? '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
          });
          for (const wake of waiters.splice(0)) wake();
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuse(value: boolean) {
      refusing = value;
    },
    /** The first message (received or to come) that matches, or a failure after `timeoutMs`. */
    async waitFor(match: (message: ReceivedEmail) => boolean, timeoutMs = 5_000): Promise<ReceivedEmail> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching email within ${timeoutMs} ms (got ${messages.length})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The token of the first `#token=` link in an email's text. */
export function linkTokenOf(text: string, path: string): { url: string; token: string } {
  const match = new RegExp(`(https?://\\S+${path}#token=([A-Za-z0-9_-]+))`).exec(text);
  if (!match?.[1] || !match[2]) throw new Error(`no ${path} link in: ${text}`);
  return { url: match[1], token: match[2] };
}
