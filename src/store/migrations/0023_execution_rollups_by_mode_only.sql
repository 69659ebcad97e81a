-- Rollup upkeep halved on every finish (issue 11): execution_rollups no longer keeps a second row
-- for all modes together (mode = '', migration 0008). Each finish upserted four rollup rows (hour and
-- day, by mode and all modes) and that upsert was most of the finish statement's time at concurrency
-- 1 (0.47 of 0.74 ms under auto_explain); a window without a mode filter now sums its modes' rows,
-- which for the usual single mode (live) is the same number of rows it read before.
CREATE OR REPLACE FUNCTION "execution_rollups_finished"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  WITH finished AS (
    SELECT new_rows.* FROM new_rows JOIN old_rows ON old_rows.id = new_rows.id
    WHERE old_rows.status = 'running' AND new_rows.status <> 'running'
  )
  INSERT INTO execution_rollups AS rollup (workspace_id, grain, bucket, agent_id, mode, count, completed,
    failed, input_tokens, output_tokens, total_tokens, cost_usd, unpriced, latency)
  SELECT workspace_id, grain, bucket, agent_id, mode, sum(n), sum(completed), sum(failed), sum(input_tokens),
         sum(output_tokens), sum(total_tokens), sum(cost_usd), sum(unpriced),
         coalesce(jsonb_object_agg(latency_bucket::text, n_latency) FILTER (WHERE latency_bucket IS NOT NULL), '{}'::jsonb)
  FROM (
    SELECT finished.workspace_id, grains.grain, date_trunc(grains.grain, finished.created_at, 'UTC') AS bucket,
           CASE WHEN grains.grain = 'day' THEN finished.agent_id ELSE '' END AS agent_id,
           finished.mode,
           execution_latency_bucket(finished.latency_ms) AS latency_bucket,
           count(*) AS n, count(finished.latency_ms) AS n_latency,
           count(*) FILTER (WHERE finished.status = 'completed') AS completed,
           count(*) FILTER (WHERE finished.status = 'failed') AS failed,
           sum(finished.input_tokens) AS input_tokens, sum(finished.output_tokens) AS output_tokens,
           sum(finished.total_tokens) AS total_tokens, coalesce(sum(finished.cost_usd), 0) AS cost_usd,
           count(*) FILTER (WHERE NOT finished.cost_priced) AS unpriced
    FROM finished CROSS JOIN (VALUES ('hour'), ('day')) AS grains(grain)
    GROUP BY 1, 2, 3, 4, 5, 6
  ) AS grouped
  GROUP BY workspace_id, grain, bucket, agent_id, mode
  ORDER BY workspace_id, grain, bucket, agent_id, mode
  ON CONFLICT (workspace_id, grain, bucket, agent_id, mode) DO UPDATE SET
    count = rollup.count + excluded.count,
    completed = rollup.completed + excluded.completed,
    failed = rollup.failed + excluded.failed,
    input_tokens = rollup.input_tokens + excluded.input_tokens,
    output_tokens = rollup.output_tokens + excluded.output_tokens,
    total_tokens = rollup.total_tokens + excluded.total_tokens,
    cost_usd = rollup.cost_usd + excluded.cost_usd,
    unpriced = rollup.unpriced + excluded.unpriced,
    latency = execution_histogram_merge(rollup.latency, excluded.latency);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "execution_rollups_inserted"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- A start inserts running rows only: nothing to add.
  IF NOT EXISTS (SELECT 1 FROM new_rows WHERE status <> 'running') THEN
    RETURN NULL;
  END IF;
  WITH finished AS (SELECT * FROM new_rows WHERE status <> 'running')
  INSERT INTO execution_rollups AS rollup (workspace_id, grain, bucket, agent_id, mode, count, completed,
    failed, input_tokens, output_tokens, total_tokens, cost_usd, unpriced, latency)
  SELECT workspace_id, grain, bucket, agent_id, mode, sum(n), sum(completed), sum(failed), sum(input_tokens),
         sum(output_tokens), sum(total_tokens), sum(cost_usd), sum(unpriced),
         coalesce(jsonb_object_agg(latency_bucket::text, n_latency) FILTER (WHERE latency_bucket IS NOT NULL), '{}'::jsonb)
  FROM (
    SELECT finished.workspace_id, grains.grain, date_trunc(grains.grain, finished.created_at, 'UTC') AS bucket,
           CASE WHEN grains.grain = 'day' THEN finished.agent_id ELSE '' END AS agent_id,
           finished.mode,
           execution_latency_bucket(finished.latency_ms) AS latency_bucket,
           count(*) AS n, count(finished.latency_ms) AS n_latency,
           count(*) FILTER (WHERE finished.status = 'completed') AS completed,
           count(*) FILTER (WHERE finished.status = 'failed') AS failed,
           sum(finished.input_tokens) AS input_tokens, sum(finished.output_tokens) AS output_tokens,
           sum(finished.total_tokens) AS total_tokens, coalesce(sum(finished.cost_usd), 0) AS cost_usd,
           count(*) FILTER (WHERE NOT finished.cost_priced) AS unpriced
    FROM finished CROSS JOIN (VALUES ('hour'), ('day')) AS grains(grain)
    GROUP BY 1, 2, 3, 4, 5, 6
  ) AS grouped
  GROUP BY workspace_id, grain, bucket, agent_id, mode
  ORDER BY workspace_id, grain, bucket, agent_id, mode
  ON CONFLICT (workspace_id, grain, bucket, agent_id, mode) DO UPDATE SET
    count = rollup.count + excluded.count,
    completed = rollup.completed + excluded.completed,
    failed = rollup.failed + excluded.failed,
    input_tokens = rollup.input_tokens + excluded.input_tokens,
    output_tokens = rollup.output_tokens + excluded.output_tokens,
    total_tokens = rollup.total_tokens + excluded.total_tokens,
    cost_usd = rollup.cost_usd + excluded.cost_usd,
    unpriced = rollup.unpriced + excluded.unpriced,
    latency = execution_histogram_merge(rollup.latency, excluded.latency);
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- The all-modes rows written before: their executions are counted in their modes' rows.
DELETE FROM execution_rollups WHERE mode = '';
