ALTER TABLE "executions" ADD COLUMN "tool_calls" json DEFAULT '[]'::json NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "parent_execution_id" text;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "loop_state" json;