-- tidemark migrate up --sql (sqlite): 3 migrations, 20261124090333_create_user_table … 20261124090338_add_user_age
-- Written without a database: assumes it stands at base.

-- version table (created when missing)
create table if not exists `tidemark_migrations` (`id` integer not null primary key autoincrement, `name` text not null, `executed_at` datetime not null default (strftime('%s', 'now') * 1000), `status` text null, `started_at` datetime null, `finished_at` datetime null, `statements_total` integer null, `statements_done` integer null, `error` text null);
create unique index if not exists `tidemark_migrations_name_unique` on `tidemark_migrations` (`name`);

pragma foreign_keys = off;
begin;

-- apply 20261124090333_create_user_table
create table "user" ("id" integer not null primary key autoincrement, "email" text not null, "name" text not null);
create unique index "user_email_unique" on "user" ("email");
insert into `tidemark_migrations` (`name`, `status`, `started_at`, `finished_at`) values ('20261124090333_create_user_table', 'applied', current_timestamp, current_timestamp);

-- apply 20261124090337_create_project_table
create table "project" ("id" integer not null primary key autoincrement, "name" text not null, "description" text, "owner_id" integer not null, "created_at" datetime not null, constraint "project_owner_id_foreign" foreign key ("owner_id") references "user" ("id") on delete cascade);
create index "project_owner_id_index" on "project" ("owner_id");
insert into `tidemark_migrations` (`name`, `status`, `started_at`, `finished_at`) values ('20261124090337_create_project_table', 'applied', current_timestamp, current_timestamp);

-- apply 20261124090338_add_user_age
alter table "user" add column "age" integer;
insert into `tidemark_migrations` (`name`, `status`, `started_at`, `finished_at`) values ('20261124090338_add_user_age', 'applied', current_timestamp, current_timestamp);

pragma foreign_key_check;
commit;
pragma foreign_keys = on;
