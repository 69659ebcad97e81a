-- json keeps the text as written (jsonb reorders keys); rows written before keep the order jsonb gave them.
ALTER TABLE "agent_versions" ALTER COLUMN "definition" SET DATA TYPE json USING "definition"::json;--> statement-breakpoint
ALTER TABLE "executions" ALTER COLUMN "input" SET DATA TYPE json USING "input"::json;--> statement-breakpoint
ALTER TABLE "executions" ALTER COLUMN "output" SET DATA TYPE json USING "output"::json;
