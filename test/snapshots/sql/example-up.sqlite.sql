-- tidemark migrate up --sql (sqlite): 3 migrations, 20261124090333_create_user_table … 20261124090338_add_user_age
-- Written without a database: assumes it stands at base.

-- version table (created when missing)
create table if not exists `tidemark_migrations` (`id` integer not null primary key autoincrement, `name` text not null, `executed_at` datetime not null default (strftime('%s', 'now') * 1000), `status` text null, `started_at` datetime null, `finished_at` datetime null, `statements_total` integer null, `statements_done` integer null, `error` text null, `checksum` text null, `owner_host` text null, `owner_pid` integer null, `owner_connection` text null);
create unique index if not exists `tidemark_migrations_name_unique` on `tidemark_migrations` (`name`);

pragma foreign_keys = off;
begin;

-- apply 20261124090333_create_user_table
-- lock: a new table; blocks nothing; instant
create table "user" ("id" integer not null primary key autoincrement, "email" text not null, "name" text not null);
create unique index "user_email_unique" on "user" ("email");
insert into `tidemark_migrations` (`name`, `status`, `started_at`, `finished_at`, `checksum`) values ('20261124090333_create_user_table', 'applied', current_timestamp, current_timestamp, 'sha256-lf:86a56241f23d6a61a42e02c2350274aa0a3e7f8a83add62474fa3ba194fa22e8');

-- apply 20261124090337_create_project_table
-- lock: a new table; blocks nothing; instant
create table "project" ("id" integer not null primary key autoincrement, "name" text not null, "description" text, "owner_id" integer not null, "created_at" datetime not null, constraint "project_owner_id_foreign" foreign key ("owner_id") references "user" ("id") on delete cascade);
create index "project_owner_id_index" on "project" ("owner_id");
insert into `tidemark_migrations` (`name`, `status`, `started_at`, `finished_at`, `checksum`) values ('20261124090337_create_project_table', 'applied', current_timestamp, current_timestamp, 'sha256-lf:401dedbe1a5c497180f0d1208d83cdfa6ccc532e9898395d284200777ee93215');

-- apply 20261124090338_add_user_age
-- lock: the database write lock; blocks writes; instant
alter table "user" add column "age" integer;
insert into `tidemark_migrations` (`name`, `status`, `started_at`, `finished_at`, `checksum`) values ('20261124090338_add_user_age', 'applied', current_timestamp, current_timestamp, 'sha256-lf:daf92fe20b5d1f7ba2161e3b1e1381e689fc6a90972a9d2844f81a908b41b0dc');

pragma foreign_key_check;
commit;
pragma foreign_keys = on;
