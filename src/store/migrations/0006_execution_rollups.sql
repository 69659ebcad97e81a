CREATE TABLE "execution_rollups" (
	"workspace_id" text NOT NULL,
	"grain" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"agent_id" text NOT NULL,
	"mode" text NOT NULL,
	"count" bigint NOT NULL,
	"completed" bigint NOT NULL,
	"failed" bigint NOT NULL,
	"input_tokens" bigint NOT NULL,
	"output_tokens" bigint NOT NULL,
	"total_tokens" bigint NOT NULL,
	"cost_usd" double precision NOT NULL,
	"latency" jsonb NOT NULL,
	CONSTRAINT "execution_rollups_workspace_id_grain_bucket_agent_id_mode_pk" PRIMARY KEY("workspace_id","grain","bucket","agent_id","mode")
);
--> statement-breakpoint
ALTER TABLE "execution_rollups" ADD CONSTRAINT "execution_rollups_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;