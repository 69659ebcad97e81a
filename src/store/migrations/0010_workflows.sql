CREATE TABLE "user_secrets" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"name" text NOT NULL,
	"secret_envelope" text NOT NULL,
	"last_four" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_run_events" (
	"run_id" text NOT NULL,
	"sequence" integer NOT NULL,
	"workspace_id" text NOT NULL,
	"type" text NOT NULL,
	"step_id" text,
	"data" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_run_events_run_id_sequence_pk" PRIMARY KEY("run_id","sequence")
);
--> statement-breakpoint
CREATE TABLE "workflow_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"workflow_version_id" text NOT NULL,
	"workflow_version" integer NOT NULL,
	"status" text NOT NULL,
	"mode" text NOT NULL,
	"trigger" text NOT NULL,
	"input" json,
	"output" json,
	"error_code" text,
	"error_message" text,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"event_sequence" integer DEFAULT 0 NOT NULL,
	"created_by" text,
	"token_id" text,
	"acting_role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "workflow_step_runs" (
	"run_id" text NOT NULL,
	"step_id" text NOT NULL,
	"workspace_id" text NOT NULL,
	"position" integer NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"input" json,
	"output" json,
	"execution_id" text,
	"execution_ids" json DEFAULT '[]'::json NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"error_code" text,
	"error_message" text,
	"worker_id" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "workflow_step_runs_run_id_step_id_pk" PRIMARY KEY("run_id","step_id")
);
--> statement-breakpoint
CREATE TABLE "workflow_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"number" integer NOT NULL,
	"definition" json NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflows" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"slug" text NOT NULL,
	"current_version_id" text NOT NULL,
	"version" integer NOT NULL,
	"webhook_secret_hash" text,
	"schedule_next_at" timestamp with time zone,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "workflow_run_id" text;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "workflow_step_id" text;--> statement-breakpoint
ALTER TABLE "user_secrets" ADD CONSTRAINT "user_secrets_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_run_events" ADD CONSTRAINT "workflow_run_events_run_id_workflow_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."workflow_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD CONSTRAINT "workflow_runs_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_step_runs" ADD CONSTRAINT "workflow_step_runs_run_id_workflow_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."workflow_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_versions" ADD CONSTRAINT "workflow_versions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_versions" ADD CONSTRAINT "workflow_versions_workflow_id_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflows" ADD CONSTRAINT "workflows_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "user_secrets_workspace_name" ON "user_secrets" USING btree ("workspace_id","name");--> statement-breakpoint
CREATE INDEX "workflow_runs_workspace_created" ON "workflow_runs" USING btree ("workspace_id","created_at","id");--> statement-breakpoint
CREATE INDEX "workflow_runs_workflow_created" ON "workflow_runs" USING btree ("workspace_id","workflow_id","created_at","id");--> statement-breakpoint
CREATE INDEX "workflow_runs_active" ON "workflow_runs" USING btree ("status") WHERE "workflow_runs"."status" in ('queued', 'running');--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_versions_workflow_number" ON "workflow_versions" USING btree ("workflow_id","number");--> statement-breakpoint
CREATE UNIQUE INDEX "workflows_workspace_slug" ON "workflows" USING btree ("workspace_id","slug") WHERE "workflows"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "workflows_workspace_created" ON "workflows" USING btree ("workspace_id","created_at","id") WHERE "workflows"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "workflows_schedule_due" ON "workflows" USING btree ("schedule_next_at") WHERE "workflows"."schedule_next_at" is not null and "workflows"."deleted_at" is null;