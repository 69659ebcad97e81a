/**
 * Group commit: items submitted within one turn of the event loop go out as one statement.
 *
 * The first item of a batch schedules the flush with `setImmediate`, which runs once the current
 * tick's callbacks and the I/O already waiting have run — so the batch takes whatever arrived in
 * the meantime and no item waits longer than that one turn (well under a millisecond unless the
 * loop itself is blocked). Each flush is its own autocommit statement: when it resolves, every item
 * in it is durable. Flushes do not wait for one another; on a pool they run side by side.
 */
export interface StatementBatcher<Item, Result> {
  submit(item: Item): Promise<Result>;
}

export interface StatementBatcherOptions<Item, Result> {
  /** Writes every item in one statement; answers one result per item, in the same order. */
  flush(items: Item[]): Promise<Result[]>;
  /** Items per statement at most; a larger burst is cut into several statements. */
  maxItems?: number;
  /** Off: every item is its own statement, at once (the bench's before, and transactions). */
  enabled?: boolean;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/** Collects items for one turn of the event loop and writes them with one statement. */
export function createStatementBatcher<Item, Result>(
  options: StatementBatcherOptions<Item, Result>,
): StatementBatcher<Item, Result> {
  const maxItems = options.maxItems ?? 200;
  const enabled = options.enabled ?? true;
  let waiting: Array<Waiting<Item, Result>> = [];
  let scheduled = false;

  async function write(batch: Array<Waiting<Item, Result>>): Promise<void> {
    try {
      const results = await options.flush(batch.map((entry) => entry.item));
      batch.forEach((entry, index) => {
        entry.resolve(results[index] as Result);
      });
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // A failed statement wrote nothing: write each item alone so only the bad one fails.
      await Promise.all(batch.map((entry) => write([entry])));
    }
  }

  function flushWaiting(): void {
    scheduled = false;
    const taken = waiting;
    waiting = [];
    for (let start = 0; start < taken.length; start += maxItems)
      void write(taken.slice(start, start + maxItems));
  }

  return {
    submit(item) {
      return new Promise<Result>((resolve, reject) => {
        const entry = { item, resolve, reject };
        if (!enabled) {
          void write([entry]);
          return;
        }
        waiting.push(entry);
        if (!scheduled) {
          scheduled = true;
          setImmediate(flushWaiting);
        }
      });
    },
  };
}
