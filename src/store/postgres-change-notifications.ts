import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { backoffDelay } from '../core/backoff-delay.ts';
import type { ChangeNotifications, ChangeSubscriber, Publication } from './change-notifications.ts';
import type { Database } from './database.ts';

/** Sends NOTIFY through `database` (a transaction: at its commit) on `channel`. */
export async function sendNotification(database: Database, channel: string, payload: string): Promise<void> {
  await database.execute(sql`select pg_notify(${channel}, ${payload})`);
}

/** What travels on the channel; `id` names a message so its echo and acknowledgements find it. */
type Message =
  | { type: 'change'; from: string; id: string; payload: string }
  | { type: 'ack'; from: string; id: string }
  | { type: 'present'; from: string; id: string; greeting: boolean }
  | { type: 'leave'; from: string; id: string };

interface Waiter {
  /** The nodes (this one included) that have not yet heard the message. */
  pending: Set<string>;
  createdAt: number;
  settle?: (heardByAll: boolean) => void;
}

export interface PostgresChangeNotificationsSettings {
  url: string;
  channel: string;
  log?: { warn(fields: object, message: string): void } | undefined;
  /** How often this node says it is present and checks its own connection by its echo. */
  heartbeatMs?: number;
  /** How long a delivery waits for every node's acknowledgement (and a heartbeat for its echo). */
  deliveryTimeoutMs?: number;
  /** The longest pause between reconnection attempts (full jitter under 100 ms doubling). */
  maximumReconnectDelayMs?: number;
}

export interface PostgresChangeNotifications extends ChangeNotifications {
  /** Resolves true once listening, or false when `timeoutMs` passes first (it keeps trying). */
  ready(timeoutMs: number): Promise<boolean>;
  /** Other nodes heard from within three heartbeats. */
  readonly peers: number;
}

/**
 * LISTEN on a dedicated connection per node. Every node acknowledges each change it applies, and
 * `delivered()` waits for the acknowledgements of every node heard from lately, so once a change
 * has answered its caller no node still serves what it replaced. The connection is checked by
 * its own echo every heartbeat; on any error it is dropped, subscribers are reset (a cache stops
 * serving) and a new one is opened with backoff.
 */
export function createPostgresChangeNotifications(
  settings: PostgresChangeNotificationsSettings,
): PostgresChangeNotifications {
  const { url, channel } = settings;
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  const heartbeatMs = settings.heartbeatMs ?? 5_000;
  const deliveryTimeoutMs = settings.deliveryTimeoutMs ?? 2_000;
  const maximumReconnectDelayMs = settings.maximumReconnectDelayMs ?? 5_000;
  const origin = randomBytes(8).toString('hex');
  let sequence = 0;
  const nextId = () => `${origin}.${++sequence}`;

  let client: pg.Client | null = null;
  let closed = false;
  let connecting: Promise<void> | null = null;
  let heartbeatInFlight = false;
  const subscribers = new Set<ChangeSubscriber>();
  /** Other nodes by origin, with when they were last heard. */
  const peers = new Map<string, number>();
  const waiters = new Map<string, Waiter>();
  const readyListeners = new Set<() => void>();

  const livePeers = (): string[] => {
    const cutoff = Date.now() - 3 * heartbeatMs;
    for (const [peer, heardAt] of peers) if (heardAt < cutoff) peers.delete(peer);
    return [...peers.keys()];
  };

  const resetSubscribers = () => {
    for (const subscriber of subscribers) subscriber.reset();
  };

  const settleAll = (heardByAll: boolean) => {
    for (const [id, waiter] of waiters) {
      if (waiter.settle) waiter.settle(heardByAll);
      else waiters.delete(id);
    }
  };

  function heard(id: string, by: string): void {
    const waiter = waiters.get(id);
    if (!waiter) return;
    waiter.pending.delete(by);
    if (waiter.pending.size === 0) waiter.settle?.(true);
  }

  function send(through: pg.Client, message: Message): Promise<void> {
    return through.query('select pg_notify($1, $2)', [channel, JSON.stringify(message)]).then(
      () => undefined,
      (error: unknown) => lose(through, error),
    );
  }

  function receive(through: pg.Client, text: string): void {
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (typeof message?.from !== 'string' || typeof message.id !== 'string') return;
    if (message.from === origin) {
      if (message.type === 'change')
        for (const subscriber of subscribers) subscriber.message(message.payload);
      heard(message.id, origin);
      return;
    }
    switch (message.type) {
      case 'change':
        peers.set(message.from, Date.now());
        for (const subscriber of subscribers) subscriber.message(message.payload);
        void send(through, { type: 'ack', from: origin, id: message.id });
        return;
      case 'ack':
        peers.set(message.from, Date.now());
        heard(message.id, message.from);
        return;
      case 'present':
        peers.set(message.from, Date.now());
        if (message.greeting)
          void send(through, { type: 'present', from: origin, id: nextId(), greeting: false });
        return;
      case 'leave':
        peers.delete(message.from);
        for (const id of waiters.keys()) heard(id, message.from);
        return;
    }
  }

  function lose(candidate: pg.Client, error: unknown): void {
    if (candidate !== client) return;
    client = null;
    resetSubscribers();
    settleAll(false);
    candidate.end().catch(() => {});
    if (closed) return;
    settings.log?.warn(
      { err: error },
      'credential change listener lost: caching is off on this node until it reconnects',
    );
    void reconnect();
  }

  function reconnect(): Promise<void> {
    connecting ??= connectWithBackoff().finally(() => {
      connecting = null;
    });
    return connecting;
  }

  async function connectWithBackoff(): Promise<void> {
    let failures = 0;
    while (!closed) {
      const candidate = new pg.Client({
        connectionString: url,
        keepAlive: true,
        application_name: 'flightdeck-change-listener',
      });
      candidate.on('error', (error) => lose(candidate, error));
      candidate.on('end', () => lose(candidate, new Error('listener connection ended')));
      candidate.on('notification', (notification) => {
        if (candidate === client && notification.channel === channel && notification.payload)
          receive(candidate, notification.payload);
      });
      try {
        await candidate.connect();
        await candidate.query(`listen ${channel}`);
        if (closed) {
          await candidate.end().catch(() => {});
          return;
        }
        client = candidate;
        // Whatever was published while no one listened here is unknown: start from nothing.
        resetSubscribers();
        void send(candidate, { type: 'present', from: origin, id: nextId(), greeting: true });
        for (const listener of readyListeners) listener();
        readyListeners.clear();
        return;
      } catch (error) {
        candidate.end().catch(() => {});
        if (closed) return;
        failures++;
        // Jittered, so the nodes that lost the database together do not all reconnect together.
        const delay = backoffDelay({
          retryNumber: failures,
          baseDelayMs: 100,
          maxDelayMs: maximumReconnectDelayMs,
          random: Math.random,
        });
        settings.log?.warn({ err: error, retryInMs: delay }, 'credential change listener cannot connect');
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
      }
    }
  }

  /** Waits for the message's waiter to empty; the nodes still missing then are reported and dropped. */
  function awaitWaiter(id: string): Promise<boolean> {
    const waiter = waiters.get(id);
    if (!waiter) return Promise.resolve(true);
    if (waiter.pending.size === 0) {
      waiters.delete(id);
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        const missing = [...waiter.pending];
        for (const peer of missing) peers.delete(peer);
        if (waiter.pending.has(origin) && client) lose(client, new Error('no echo from the own listener'));
        else if (missing.length > 0)
          settings.log?.warn({ nodes: missing.length }, 'credential change not acknowledged by every node');
        waiter.settle?.(false);
      }, deliveryTimeoutMs);
      waiter.settle = (heardByAll) => {
        clearTimeout(timer);
        waiters.delete(id);
        resolve(heardByAll);
      };
    });
  }

  const heartbeat = setInterval(() => {
    livePeers();
    // Waiters of transactions that rolled back are never awaited.
    const stale = Date.now() - 60_000;
    for (const [id, waiter] of waiters) if (!waiter.settle && waiter.createdAt < stale) waiters.delete(id);
    if (!client || heartbeatInFlight) return;
    heartbeatInFlight = true;
    const id = nextId();
    waiters.set(id, { pending: new Set([origin]), createdAt: Date.now() });
    void send(client, { type: 'present', from: origin, id, greeting: false });
    void awaitWaiter(id).finally(() => {
      heartbeatInFlight = false;
    });
  }, heartbeatMs);
  heartbeat.unref();

  void reconnect();

  return {
    get listening() {
      return client !== null;
    },
    get peers() {
      return livePeers().length;
    },
    async publish(database: Database, payload: string): Promise<Publication> {
      const id = nextId();
      if (client) waiters.set(id, { pending: new Set([origin, ...livePeers()]), createdAt: Date.now() });
      await sendNotification(
        database,
        channel,
        JSON.stringify({ type: 'change', from: origin, id, payload } satisfies Message),
      );
      return { delivered: () => awaitWaiter(id) };
    },
    subscribe(subscriber) {
      subscribers.add(subscriber);
      return () => subscribers.delete(subscriber);
    },
    ready(timeoutMs) {
      if (client) return Promise.resolve(true);
      return new Promise((resolve) => {
        const listener = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          readyListeners.delete(listener);
          resolve(false);
        }, timeoutMs);
        readyListeners.add(listener);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      const current = client;
      client = null;
      settleAll(false);
      subscribers.clear();
      if (current) {
        await send(current, { type: 'leave', from: origin, id: nextId() });
        await current.end().catch(() => {});
      }
      await connecting?.catch(() => {});
    },
  };
}
