CREATE TABLE "instance_metadata" (
	"id" text PRIMARY KEY NOT NULL,
	"singleton" text DEFAULT 'instance' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "instance_metadata_singleton_unique" UNIQUE("singleton")
);
