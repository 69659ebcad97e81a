// The floor under an execution's added time at concurrency 1 on this machine: what PostgreSQL
// round trips cost with nothing of ours around them. A bare `pg` client on one connection, one
// statement at a time, in a temporary database: `select 1`, a one-row insert into an unlogged table
// (no WAL flush), a durable one-row insert (the commit waits for the WAL flush, as the `running`
// row and the end of an execution do), and the same with `synchronous_commit = off`.
// An execution that keeps issue 11's guarantees commits twice before it answers.
// Usage: npm run bench -- commit-floor
import pg from 'pg';
import { createTemporaryDatabase } from './workflows/bench-workspace.ts';

const calls = 3_000;
const database = await createTemporaryDatabase();
const client = new pg.Client({ connectionString: database.url });
await client.connect();

async function time(label: string, text: string, values: unknown[] = []): Promise<void> {
  const durations: number[] = [];
  for (let call = 0; call < 200; call++) await client.query({ name: label, text, values });
  for (let call = 0; call < calls; call++) {
    const started = performance.now();
    await client.query({ name: label, text, values });
    durations.push(performance.now() - started);
  }
  durations.sort((left, right) => left - right);
  const at = (fraction: number) => (durations[Math.floor(fraction * calls)] ?? Number.NaN).toFixed(3);
  console.log(`| ${label} | ${at(0.5)} | ${at(0.1)} | ${at(0.9)} |`);
}

try {
  await client.query('create unlogged table floor_unlogged (id bigserial primary key, note text)');
  await client.query('create table floor_durable (id bigserial primary key, note text)');
  console.log(`Round trips on one connection, ${calls} each, ms:\n`);
  console.log('| statement | p50 | p10 | p90 |');
  console.log('|---|---|---|---|');
  await time('select 1', 'select 1');
  await time('insert, unlogged table (no WAL flush)', 'insert into floor_unlogged (note) values ($1)', ['x']);
  await time('insert, durable commit', 'insert into floor_durable (note) values ($1)', ['x']);
  await client.query('set synchronous_commit = off');
  await time('insert, synchronous_commit off', 'insert into floor_durable (note) values ($1)', ['x']);
} finally {
  await client.end();
  await database.drop();
}
