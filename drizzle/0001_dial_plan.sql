CREATE TABLE "dial_peers" (
	"tag" integer PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"destination_pattern" text,
	"incoming_called_number" text,
	"answer_address" text,
	"preference" integer DEFAULT 0 NOT NULL,
	"session_target" text,
	"trunk" text,
	"port" text,
	"translation_profile_incoming" text,
	"translation_profile_outgoing" text,
	"digit_strip" boolean DEFAULT true NOT NULL,
	"forward_digits" integer,
	"prefix" text,
	"codecs" text[] DEFAULT '{}'::text[] NOT NULL,
	"dtmf_relay" text[] DEFAULT '{}'::text[] NOT NULL,
	"b2bua" boolean DEFAULT false NOT NULL,
	"vad" boolean DEFAULT true NOT NULL,
	CONSTRAINT "dial_peers_kind_check" CHECK ("dial_peers"."kind" in ('voip', 'pots'))
);
--> statement-breakpoint
CREATE TABLE "pilots" (
	"name" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"number" text NOT NULL,
	"destination" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	CONSTRAINT "pilots_kind_check" CHECK ("pilots"."kind" in ('voicemail', 'auto-attendant'))
);
--> statement-breakpoint
CREATE TABLE "route_patterns" (
	"pattern" text NOT NULL,
	"partition" text,
	"description" text DEFAULT '' NOT NULL,
	"trunk" text,
	"pilot" text,
	"block_reason" text,
	"called" jsonb,
	"calling" jsonb,
	CONSTRAINT "route_patterns_pattern_once" UNIQUE NULLS NOT DISTINCT("partition","pattern"),
	CONSTRAINT "route_patterns_one_target" CHECK (num_nonnulls("route_patterns"."trunk", "route_patterns"."pilot", "route_patterns"."block_reason") = 1)
);
--> statement-breakpoint
CREATE TABLE "translation_patterns" (
	"pattern" text NOT NULL,
	"partition" text,
	"description" text DEFAULT '' NOT NULL,
	"calling_search_space" text,
	"blocked" boolean DEFAULT false NOT NULL,
	"called" jsonb,
	"calling" jsonb,
	CONSTRAINT "translation_patterns_pattern_once" UNIQUE NULLS NOT DISTINCT("partition","pattern")
);
--> statement-breakpoint
CREATE TABLE "translation_profiles" (
	"name" text PRIMARY KEY NOT NULL,
	"called" integer,
	"calling" integer,
	"redirect_target" integer,
	"redirect_called" integer
);
--> statement-breakpoint
CREATE TABLE "translation_rule_sets" (
	"id" integer PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TABLE "translation_rules" (
	"rule_set" integer NOT NULL,
	"precedence" integer NOT NULL,
	"match" text NOT NULL,
	"replace" text,
	"reject" boolean DEFAULT false NOT NULL,
	CONSTRAINT "translation_rules_rule_set_precedence_pk" PRIMARY KEY("rule_set","precedence")
);
--> statement-breakpoint
CREATE TABLE "trunks" (
	"name" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"calling_search_space" text,
	"settings" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "lines" ADD COLUMN "secondary_number" text;--> statement-breakpoint
ALTER TABLE "lines" ADD COLUMN "no_registration" text;--> statement-breakpoint
ALTER TABLE "lines" ADD COLUMN "dual_line" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "lines" ADD COLUMN "mwi_control" text;--> statement-breakpoint
ALTER TABLE "dial_peers" ADD CONSTRAINT "dial_peers_trunk_fk" FOREIGN KEY ("trunk") REFERENCES "public"."trunks"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dial_peers" ADD CONSTRAINT "dial_peers_profile_incoming_fk" FOREIGN KEY ("translation_profile_incoming") REFERENCES "public"."translation_profiles"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dial_peers" ADD CONSTRAINT "dial_peers_profile_outgoing_fk" FOREIGN KEY ("translation_profile_outgoing") REFERENCES "public"."translation_profiles"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "route_patterns" ADD CONSTRAINT "route_patterns_partition_fk" FOREIGN KEY ("partition") REFERENCES "public"."partitions"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "route_patterns" ADD CONSTRAINT "route_patterns_trunk_fk" FOREIGN KEY ("trunk") REFERENCES "public"."trunks"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "route_patterns" ADD CONSTRAINT "route_patterns_pilot_fk" FOREIGN KEY ("pilot") REFERENCES "public"."pilots"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "translation_patterns" ADD CONSTRAINT "translation_patterns_partition_fk" FOREIGN KEY ("partition") REFERENCES "public"."partitions"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "translation_patterns" ADD CONSTRAINT "translation_patterns_calling_search_space_fk" FOREIGN KEY ("calling_search_space") REFERENCES "public"."calling_search_spaces"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "translation_profiles" ADD CONSTRAINT "translation_profiles_called_fk" FOREIGN KEY ("called") REFERENCES "public"."translation_rule_sets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "translation_profiles" ADD CONSTRAINT "translation_profiles_calling_fk" FOREIGN KEY ("calling") REFERENCES "public"."translation_rule_sets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "translation_profiles" ADD CONSTRAINT "translation_profiles_redirect_target_fk" FOREIGN KEY ("redirect_target") REFERENCES "public"."translation_rule_sets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "translation_profiles" ADD CONSTRAINT "translation_profiles_redirect_called_fk" FOREIGN KEY ("redirect_called") REFERENCES "public"."translation_rule_sets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "translation_rules" ADD CONSTRAINT "translation_rules_rule_set_fk" FOREIGN KEY ("rule_set") REFERENCES "public"."translation_rule_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trunks" ADD CONSTRAINT "trunks_calling_search_space_fk" FOREIGN KEY ("calling_search_space") REFERENCES "public"."calling_search_spaces"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lines" ADD CONSTRAINT "lines_no_registration_check" CHECK ("lines"."no_registration" in ('primary', 'both'));--> statement-breakpoint
ALTER TABLE "lines" ADD CONSTRAINT "lines_mwi_control_check" CHECK ("lines"."mwi_control" in ('on', 'off'));