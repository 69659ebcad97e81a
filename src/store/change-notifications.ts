import type { Database, Store } from './database.ts';
import { createPostgresChangeNotifications, sendNotification } from './postgres-change-notifications.ts';

/** What a subscriber hears: every published payload, and `reset` whenever it may have missed some. */
export interface ChangeSubscriber {
  message(payload: string): void;
  /** The feed went down or came back: anything derived from earlier messages may be stale. */
  reset(): void;
}

/** A payload on its way: published inside a transaction, it travels at that transaction's commit. */
export interface Publication {
  /**
   * After the commit: resolves once every node that listens has heard the payload (true), or after
   * a bounded wait (false, and a node that did not answer is no longer waited for).
   */
  delivered(): Promise<boolean>;
}

/**
 * A broadcast of small text payloads to every node of one installation: in process for the embedded
 * database, PostgreSQL LISTEN/NOTIFY when scaled out. Caches built on it must stop serving while
 * `listening` is false, since payloads published then may never arrive.
 */
export interface ChangeNotifications {
  /** True while this node hears every payload any node publishes. */
  readonly listening: boolean;
  /** Publishes through `database`: a transaction (delivered at its commit) or the pool (at once). */
  publish(database: Database, payload: string): Promise<Publication>;
  subscribe(subscriber: ChangeSubscriber): () => void;
  /** Stops listening; safe to call more than once. */
  close(): Promise<void>;
}

/** The channel Flightdeck's nodes share; the name is an SQL identifier, fixed for an installation. */
export const changeChannel = 'flightdeck_auth';

const deliveredAtOnce: Publication = { delivered: async () => true };

/** Hears nothing and tells no one: the default for services built by hand in tests. */
export const silentChangeNotifications: ChangeNotifications = {
  listening: false,
  publish: async () => deliveredAtOnce,
  subscribe: () => () => {},
  close: async () => {},
};

/**
 * One process is the whole installation (PGlite): payloads go straight to this process's
 * subscribers, once when published and again after the commit, so a read that raced the
 * transaction cannot leave a stale copy behind.
 */
export function createInProcessChangeNotifications(): ChangeNotifications {
  const subscribers = new Set<ChangeSubscriber>();
  const deliver = (payload: string) => {
    for (const subscriber of subscribers) subscriber.message(payload);
  };
  return {
    listening: true,
    async publish(_database, payload) {
      deliver(payload);
      return {
        async delivered() {
          deliver(payload);
          return true;
        },
      };
    },
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    },
    close: async () => subscribers.clear(),
  };
}

/**
 * Tells listening nodes about changes but hears none itself: a PostgreSQL node without its own
 * listener (a CLI command, a test's hand-built services) still reaches the servers.
 */
export function createPublishOnlyChangeNotifications(): ChangeNotifications {
  return {
    listening: false,
    async publish(database, payload) {
      await sendNotification(database, changeChannel, payload);
      return deliveredAtOnce;
    },
    subscribe: () => () => {},
    close: async () => {},
  };
}

/** What services use when nobody opened a feed: in process on PGlite, publish-only on PostgreSQL. */
export function defaultChangeNotifications(store: Store): ChangeNotifications {
  return store.kind === 'pglite'
    ? createInProcessChangeNotifications()
    : createPublishOnlyChangeNotifications();
}

export interface OpenChangeNotificationsOptions {
  /** Where reconnects and unanswered deliveries are reported. */
  log?: { warn(fields: object, message: string): void };
  /** How long `open` waits for the first LISTEN before going on without it (it keeps trying). */
  connectTimeoutMs?: number;
}

/**
 * The feed of a serving node: in process on PGlite; on PostgreSQL a dedicated listening connection,
 * with the first connection awaited briefly so the node starts with its cache on.
 */
export async function openChangeNotifications(
  store: Store,
  options: OpenChangeNotificationsOptions = {},
): Promise<ChangeNotifications> {
  if (store.queueConnection.kind === 'pglite') return createInProcessChangeNotifications();
  const notifications = createPostgresChangeNotifications({
    url: store.queueConnection.url,
    channel: changeChannel,
    log: options.log,
  });
  await notifications.ready(options.connectTimeoutMs ?? 5_000);
  return notifications;
}
