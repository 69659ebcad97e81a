import type { Logger } from '../telemetry/logger.ts';
import type { App } from './create-app.ts';

export interface RunningServer {
  app: App;
  /** The address actually bound (useful with port 0). */
  address: { host: string; port: number };
  /**
   * Stops accepting connections, lets in-flight requests finish within the timeout (then cuts
   * what is left), and runs `afterClose` (closing the database). Safe to call more than once.
   */
  close(): Promise<{ timedOut: boolean }>;
}

export interface StartServerOptions {
  app: App;
  host: string;
  port: number;
  shutdownTimeoutMs: number;
  logger: Logger;
  afterClose?: () => Promise<void>;
}

/** Binds the app to a port and returns a handle that shuts it down gracefully. */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  await options.app.listen({ host: options.host, port: options.port });
  const bound = options.app.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : options.port;
  let closing: Promise<{ timedOut: boolean }> | undefined;

  async function shutdown(): Promise<{ timedOut: boolean }> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      options.logger.warn(
        { timeoutMs: options.shutdownTimeoutMs },
        'shutdown timeout reached; closing the connections still open',
      );
      options.app.server.closeAllConnections();
    }, options.shutdownTimeoutMs);
    try {
      await options.app.close();
    } finally {
      clearTimeout(timer);
      await options.afterClose?.();
    }
    return { timedOut };
  }

  return {
    app: options.app,
    address: { host: options.host, port },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
