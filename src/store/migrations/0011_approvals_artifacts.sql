CREATE TABLE "workflow_approvals" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"run_id" text NOT NULL,
	"workflow_id" text NOT NULL,
	"step_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"revision" integer DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"reason" text NOT NULL,
	"output" json,
	"edited_output" json,
	"estimate_usd" double precision,
	"decided_by" text,
	"decided_by_token" text,
	"decided_at" timestamp with time zone,
	"comment" text,
	"feedback" text,
	"expires_at" timestamp with time zone,
	"on_timeout" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_artifacts" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"run_id" text NOT NULL,
	"step_id" text NOT NULL,
	"type" text NOT NULL,
	"version" integer NOT NULL,
	"source" text NOT NULL,
	"approval_id" text,
	"execution_id" text,
	"content" json,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workflow_runs" ADD COLUMN "cost_cap_usd" double precision;--> statement-breakpoint
ALTER TABLE "workflow_step_runs" ADD COLUMN "revision_feedback" text;--> statement-breakpoint
ALTER TABLE "workflow_step_runs" ADD COLUMN "revisions" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "workflows" ADD COLUMN "kind" text DEFAULT 'workflow' NOT NULL;--> statement-breakpoint
ALTER TABLE "workflow_approvals" ADD CONSTRAINT "workflow_approvals_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_approvals" ADD CONSTRAINT "workflow_approvals_run_id_workflow_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."workflow_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_artifacts" ADD CONSTRAINT "workflow_artifacts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_artifacts" ADD CONSTRAINT "workflow_artifacts_run_id_workflow_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."workflow_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "workflow_approvals_workspace_created" ON "workflow_approvals" USING btree ("workspace_id","created_at","id");--> statement-breakpoint
CREATE INDEX "workflow_approvals_run" ON "workflow_approvals" USING btree ("run_id","step_id");--> statement-breakpoint
CREATE INDEX "workflow_approvals_expiring" ON "workflow_approvals" USING btree ("expires_at") WHERE "workflow_approvals"."status" = 'pending' and "workflow_approvals"."expires_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_artifacts_run_step_version" ON "workflow_artifacts" USING btree ("run_id","step_id","version");