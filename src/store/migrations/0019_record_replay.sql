CREATE TABLE "recorded_exchanges" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"execution_id" text NOT NULL,
	"run_id" text,
	"step_id" text,
	"sequence" integer NOT NULL,
	"kind" text NOT NULL,
	"fingerprint" text NOT NULL,
	"request" json NOT NULL,
	"response" json NOT NULL,
	"usage" jsonb,
	"latency_ms" double precision DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "replay_of" text;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "error_details" json;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "record" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "replay_of" text;--> statement-breakpoint
ALTER TABLE "recorded_exchanges" ADD CONSTRAINT "recorded_exchanges_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "recorded_exchanges_execution_sequence" ON "recorded_exchanges" USING btree ("execution_id","sequence");--> statement-breakpoint
CREATE INDEX "recorded_exchanges_workspace_run_step" ON "recorded_exchanges" USING btree ("workspace_id","run_id","step_id");