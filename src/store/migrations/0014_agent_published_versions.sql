ALTER TABLE "agents" ADD COLUMN "published_version_id" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "published_version" integer;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "labels" json DEFAULT '{}'::json NOT NULL;--> statement-breakpoint
-- Agents made before drafts existed ran their newest version everywhere: that version is the published one.
UPDATE "agents" SET "published_version_id" = "current_version_id", "published_version" = "version";
