import type { Database } from '../database.ts';
import { createGrownStatementName } from '../grown-statement-name.ts';
import { queryNamedRows } from '../query-rows.ts';
import {
  createFinishStatements,
  type ExecutionFinishItem,
  type FinishedExecution,
  type FinishStatement,
  groupFinishes,
} from './execution-finish-statements.ts';
import {
  type LeaseSettlement,
  leaseSettlementCtes,
  leaseSettlementParams,
  leaseSettlementText,
} from './lease-settlement-statement.ts';
import { createStatementBatcher } from './statement-batcher.ts';

/**
 * The two writes that end a live execution — the finish of its record and the settlement of its
 * budget hold against the node's lease — share one group-committed batcher. When both kinds wait
 * in the same turn (an execution submits both at once) they go out as one statement: one commit
 * ends the record and counts its spend, where two statements side by side cost PostgreSQL two
 * commits and the node two round trips. A batch of only one kind, or finishes that write several
 * sets of columns, go out as their own statements, side by side.
 *
 * Failure keeps the batcher's rule: a failed statement wrote nothing, so each write of it is
 * written again alone, and only the bad one fails.
 */
export interface ExecutionEndWrites {
  /** Finishes a running execution; undefined when it was no longer running. */
  finish(item: ExecutionFinishItem): Promise<FinishedExecution | undefined>;
  /** Settles a leased hold; false when its lease had ended (nothing counted). */
  settle(settlement: LeaseSettlement): Promise<boolean>;
}

export interface ExecutionEndWritesOptions {
  /** Off: every write is its own statement, at once (inside a transaction, the bench's before). */
  groupCommit?: boolean;
  /** Rows a batch statement writes unnamed before it is named (see grown-statement-name.ts). */
  namedStatementsAfterRows?: number;
}

type EndWrite = { kind: 'finish'; item: ExecutionFinishItem } | { kind: 'settle'; item: LeaseSettlement };
type EndWriteResult = FinishedExecution | undefined | boolean;

export function createExecutionEndWrites(
  database: Database,
  options: ExecutionEndWritesOptions = {},
): ExecutionEndWrites {
  const finishStatement = createFinishStatements(database);
  // Execution rows are wide (a few to a page): measured, a generic plan of the finish finds them by
  // key from about 1,000 rows on (it seq-scanned 400). The settlement's plan is right on any table
  // size (checked with generic plans on an empty schema): named from the first row.
  const finishRowsBeforeNaming = options.namedStatementsAfterRows ?? 1_000;
  const settlementName = createGrownStatementName(
    'budget_settle_from_leases',
    options.namedStatementsAfterRows ?? 0,
  );
  // Per set of written columns: its number in this process and the name of its finish, which
  // stays unnamed until the table has grown (see grown-statement-name.ts).
  const signatures = new Map<
    string,
    { number: number; finishName: (rows: number) => string; joinedText?: string }
  >();
  const namesOf = (signature: string) => {
    let names = signatures.get(signature);
    if (!names) {
      const number = signatures.size + 1;
      names = {
        number,
        finishName: createGrownStatementName(`execution_finish_${number}`, finishRowsBeforeNaming),
      };
      signatures.set(signature, names);
    }
    return names;
  };

  const finishAlone = (statement: FinishStatement, name: string) =>
    queryNamedRows<FinishedExecution>(database, name, statement.text, statement.params);

  const settleAlone = async (settlements: LeaseSettlement[]) => {
    const rows = await queryNamedRows<{ id: string }>(
      database,
      settlementName(settlements.length),
      leaseSettlementText,
      leaseSettlementParams(settlements),
    );
    return new Set(rows.map((row) => row.id));
  };

  /**
   * The finish, then the settlement, in one named statement (the finish's parameters first). Only
   * once the finish is named: unnamed, the joined statement would be parsed and planned on every
   * run, which costs more than the second statement it saves.
   */
  const finishAndSettle = async (statement: FinishStatement, settlements: LeaseSettlement[]) => {
    const names = namesOf(statement.signature);
    names.joinedText ??= `with finished as (${statement.text}),
        ${leaseSettlementCtes(statement.params.length + 1, statement.params.length + 2)}
        select 'finish' as part, id, status from finished
        union all select 'settle', id, null from recorded`;
    const result = await queryNamedRows<{ part: 'finish' | 'settle'; id: string; status: string | null }>(
      database,
      `execution_end_${names.number}`,
      names.joinedText,
      [...statement.params, ...leaseSettlementParams(settlements)],
    );
    const finished: FinishedExecution[] = [];
    const recorded = new Set<string>();
    for (const row of result)
      if (row.part === 'finish')
        finished.push({ id: row.id, status: row.status as FinishedExecution['status'] });
      else recorded.add(row.id);
    return { finished, recorded };
  };

  const batcher = createStatementBatcher<EndWrite, EndWriteResult>({
    enabled: options.groupCommit ?? true,
    async flush(writes) {
      const finishes: ExecutionFinishItem[] = [];
      const settlements: LeaseSettlement[] = [];
      for (const write of writes)
        if (write.kind === 'finish') finishes.push(write.item);
        else settlements.push(write.item);
      const finished = new Map<string, FinishedExecution>();
      let recorded = new Set<string>();
      const statements = groupFinishes(finishes).map((group) => ({
        statement: finishStatement(group),
        name: namesOf(group.signature).finishName(group.items.length),
      }));
      const [joined] = statements;
      if (joined && joined.name !== '' && statements.length === 1 && settlements.length > 0) {
        const both = await finishAndSettle(joined.statement, settlements);
        for (const row of both.finished) finished.set(row.id, row);
        recorded = both.recorded;
      } else {
        await Promise.all([
          ...statements.map(async ({ statement, name }) => {
            for (const row of await finishAlone(statement, name)) finished.set(row.id, row);
          }),
          settlements.length > 0
            ? settleAlone(settlements).then((ids) => {
                recorded = ids;
              })
            : undefined,
        ]);
      }
      return writes.map((write) =>
        write.kind === 'finish' ? finished.get(write.item.executionId) : recorded.has(write.item.holdId),
      );
    },
  });
  return {
    finish: (item) => batcher.submit({ kind: 'finish', item }) as Promise<FinishedExecution | undefined>,
    settle: (settlement) => batcher.submit({ kind: 'settle', item: settlement }) as Promise<boolean>,
  };
}
