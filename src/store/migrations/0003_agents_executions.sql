CREATE TABLE "agent_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"number" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"changed_fields" jsonb NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"slug" text NOT NULL,
	"current_version_id" text NOT NULL,
	"version" integer NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "executions" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"agent_version_id" text NOT NULL,
	"agent_version" integer NOT NULL,
	"status" text NOT NULL,
	"mode" text NOT NULL,
	"trigger" text NOT NULL,
	"input" jsonb,
	"output" jsonb,
	"raw_output" text,
	"error_code" text,
	"error_message" text,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"total_tokens" integer DEFAULT 0 NOT NULL,
	"cost_usd" double precision,
	"cost_priced" boolean DEFAULT true NOT NULL,
	"latency_ms" double precision,
	"time_to_first_token_ms" double precision,
	"retries" integer DEFAULT 0 NOT NULL,
	"attempts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"fallback_used" boolean DEFAULT false NOT NULL,
	"repaired" boolean DEFAULT false NOT NULL,
	"provider" text,
	"model" text,
	"idempotency_key" text,
	"request_hash" text,
	"node_id" text NOT NULL,
	"deadline_at" timestamp with time zone NOT NULL,
	"created_by" text,
	"token_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "agent_versions" ADD CONSTRAINT "agent_versions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_versions" ADD CONSTRAINT "agent_versions_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "executions" ADD CONSTRAINT "executions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "agent_versions_agent_number" ON "agent_versions" USING btree ("agent_id","number");--> statement-breakpoint
CREATE UNIQUE INDEX "agents_workspace_slug" ON "agents" USING btree ("workspace_id","slug") WHERE "agents"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "agents_workspace_created" ON "agents" USING btree ("workspace_id","created_at","id") WHERE "agents"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "executions_workspace_created" ON "executions" USING btree ("workspace_id","created_at","id");--> statement-breakpoint
CREATE INDEX "executions_workspace_agent_created" ON "executions" USING btree ("workspace_id","agent_id","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "executions_workspace_idempotency_key" ON "executions" USING btree ("workspace_id","idempotency_key") WHERE "executions"."idempotency_key" is not null;--> statement-breakpoint
CREATE INDEX "executions_running_deadline" ON "executions" USING btree ("deadline_at") WHERE "executions"."status" = 'running';