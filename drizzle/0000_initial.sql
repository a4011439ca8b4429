CREATE TABLE "call_records" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "call_records_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"call_id" text NOT NULL,
	"calling" text NOT NULL,
	"called" text NOT NULL,
	"original_called" text,
	"setup_at" timestamp with time zone NOT NULL,
	"answer_at" timestamp with time zone,
	"end_at" timestamp with time zone NOT NULL,
	"cause" text NOT NULL,
	"duration" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "calling_search_space_members" (
	"calling_search_space" text NOT NULL,
	"position" integer NOT NULL,
	"partition" text NOT NULL,
	CONSTRAINT "calling_search_space_members_calling_search_space_position_pk" PRIMARY KEY("calling_search_space","position"),
	CONSTRAINT "calling_search_space_members_partition_once" UNIQUE("calling_search_space","partition")
);
--> statement-breakpoint
CREATE TABLE "calling_search_spaces" (
	"name" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "config_meta" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"version" integer NOT NULL,
	"sha256" text,
	"applied_at" timestamp with time zone NOT NULL,
	CONSTRAINT "config_meta_single_row" CHECK ("config_meta"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "device_pools" (
	"name" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"region" text,
	"call_manager_group" text[] DEFAULT '{}'::text[] NOT NULL,
	"moh_source" text,
	"locale" text
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"name" text PRIMARY KEY NOT NULL,
	"model" text NOT NULL,
	"protocol" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"device_pool" text,
	"calling_search_space" text,
	"owner" text,
	"sip_username" text,
	"sip_password" text,
	CONSTRAINT "devices_sip_username_unique" UNIQUE("sip_username"),
	CONSTRAINT "devices_protocol_check" CHECK ("devices"."protocol" in ('sip', 'sccp'))
);
--> statement-breakpoint
CREATE TABLE "line_appearances" (
	"device" text NOT NULL,
	"button" integer NOT NULL,
	"dn" text NOT NULL,
	"partition" text NOT NULL,
	"label" text,
	CONSTRAINT "line_appearances_device_button_pk" PRIMARY KEY("device","button"),
	CONSTRAINT "line_appearances_line_once" UNIQUE("device","partition","dn")
);
--> statement-breakpoint
CREATE TABLE "lines" (
	"dn" text NOT NULL,
	"partition" text NOT NULL,
	"display_name" text DEFAULT '' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"forward_all" text,
	"forward_busy" text,
	"forward_no_answer" text,
	"no_answer_timeout" integer,
	"voicemail_pilot" text,
	"mwi" boolean DEFAULT true NOT NULL,
	CONSTRAINT "lines_partition_dn_pk" PRIMARY KEY("partition","dn")
);
--> statement-breakpoint
CREATE TABLE "partitions" (
	"name" text PRIMARY KEY NOT NULL,
	"description" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "registrar_settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"expires_default" integer NOT NULL,
	"expires_min" integer NOT NULL,
	"expires_max" integer NOT NULL,
	CONSTRAINT "registrar_settings_single_row" CHECK ("registrar_settings"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "registrations" (
	"aor" text NOT NULL,
	"contact_uri" text NOT NULL,
	"device" text,
	"line" text,
	"path" text[] DEFAULT '{}'::text[] NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"instance_id" text,
	"call_id" text NOT NULL,
	"cseq" bigint NOT NULL,
	"user_agent" text,
	"source_address" text NOT NULL,
	"source_port" integer NOT NULL,
	"transport" text NOT NULL,
	CONSTRAINT "registrations_aor_contact_uri_pk" PRIMARY KEY("aor","contact_uri")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"userid" text PRIMARY KEY NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"pin_hash" text,
	"password_hash" text
);
--> statement-breakpoint
ALTER TABLE "calling_search_space_members" ADD CONSTRAINT "calling_search_space_members_css_fk" FOREIGN KEY ("calling_search_space") REFERENCES "public"."calling_search_spaces"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calling_search_space_members" ADD CONSTRAINT "calling_search_space_members_partition_fk" FOREIGN KEY ("partition") REFERENCES "public"."partitions"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_device_pool_fk" FOREIGN KEY ("device_pool") REFERENCES "public"."device_pools"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_calling_search_space_fk" FOREIGN KEY ("calling_search_space") REFERENCES "public"."calling_search_spaces"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_owner_fk" FOREIGN KEY ("owner") REFERENCES "public"."users"("userid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_appearances" ADD CONSTRAINT "line_appearances_device_fk" FOREIGN KEY ("device") REFERENCES "public"."devices"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "line_appearances" ADD CONSTRAINT "line_appearances_line_fk" FOREIGN KEY ("partition","dn") REFERENCES "public"."lines"("partition","dn") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lines" ADD CONSTRAINT "lines_partition_fk" FOREIGN KEY ("partition") REFERENCES "public"."partitions"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "call_records_end_at" ON "call_records" USING btree ("end_at");--> statement-breakpoint
CREATE INDEX "line_appearances_line" ON "line_appearances" USING btree ("partition","dn");--> statement-breakpoint
CREATE INDEX "lines_dn" ON "lines" USING btree ("dn");--> statement-breakpoint
CREATE INDEX "registrations_expires_at" ON "registrations" USING btree ("expires_at");