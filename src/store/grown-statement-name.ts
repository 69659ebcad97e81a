/**
 * When a group-committed batch statement may keep one plan per connection.
 *
 * A named (prepared) statement is planned once and its plan kept — and PostgreSQL makes that plan
 * against the tables as they are then. Made while a table is young (an empty `executions`, a few
 * hundred settled holds), the plan seq-scans it and keeps doing so as it grows into millions of
 * rows; made once the table holds a few thousand rows, it finds rows by key and stays right as the
 * table grows (measured on a bench database: generic plans on the empty schema seq-scanned
 * executions for the finish and hashed all of budget_reservations for the settled-hold check; with
 * 1,000 executions and 3,000 settled holds both went by primary key).
 *
 * So a statement whose plan depends on that runs unnamed (planned on every run, against the tables
 * as they are) until this process has written `rowsBeforeNaming` rows with it — by then its table
 * holds at least that many — and named from then on: its parse and plan (0.7 ms a batch for the
 * finish) are paid once per connection. Counting this process's own rows keeps it simple: a
 * restarted node on a large table starts unnamed and only pays planning a little longer. A
 * statement whose plan is right at any size (the lease settlement) is named from the first row
 * (`rowsBeforeNaming` 0). PGlite ignores statement names.
 */
export function createGrownStatementName(
  name: string,
  rowsBeforeNaming: number,
): (batchRows: number) => string {
  let written = 0;
  return (batchRows) => {
    if (written >= rowsBeforeNaming) return name;
    written += batchRows;
    // An empty name is PostgreSQL's unnamed statement: parsed and planned for this run only.
    return '';
  };
}
