-- tidemark migrate up --sql (postgresql): 3 migrations, 20261124090333_create_user_table … 20261124090338_add_user_age
-- Written without a database: assumes it stands at base.

-- version table (created when missing)
create table if not exists "tidemark_migrations" ("id" serial primary key, "name" varchar(255) not null, "executed_at" timestamptz(6) not null default current_timestamp(6), "status" varchar(16) null, "started_at" timestamptz(6) null, "finished_at" timestamptz(6) null, "statements_total" int null, "statements_done" int null, "error" text null, "checksum" varchar(80) null, "owner_host" varchar(255) null, "owner_pid" int null, "owner_connection" varchar(64) null);
create unique index if not exists "tidemark_migrations_name_unique" on "tidemark_migrations" ("name");

begin;

-- apply 20261124090333_create_user_table
set names 'utf8';
-- lock: a new table; blocks nothing; instant
create table "user" ("id" serial not null primary key, "email" varchar(255) not null, "name" varchar(255) not null);
create unique index "user_email_unique" on "user" ("email");
insert into "tidemark_migrations" ("name", "status", "started_at", "finished_at", "checksum") values ('20261124090333_create_user_table', 'applied', current_timestamp, current_timestamp, 'sha256-lf:86a56241f23d6a61a42e02c2350274aa0a3e7f8a83add62474fa3ba194fa22e8');

-- apply 20261124090337_create_project_table
set names 'utf8';
-- lock: SHARE ROW EXCLUSIVE on "user"; blocks writes; instant
create table "project" ("id" serial not null primary key, "name" varchar(100) not null, "description" text, "owner_id" int not null, "created_at" timestamptz not null, constraint "project_owner_id_foreign" foreign key ("owner_id") references "user" ("id") on delete cascade);
insert into "tidemark_migrations" ("name", "status", "started_at", "finished_at", "checksum") values ('20261124090337_create_project_table', 'applied', current_timestamp, current_timestamp, 'sha256-lf:401dedbe1a5c497180f0d1208d83cdfa6ccc532e9898395d284200777ee93215');

-- apply 20261124090338_add_user_age
set names 'utf8';
-- lock: ACCESS EXCLUSIVE on "user"; blocks reads and writes; instant
alter table "user" add column "age" int;
insert into "tidemark_migrations" ("name", "status", "started_at", "finished_at", "checksum") values ('20261124090338_add_user_age', 'applied', current_timestamp, current_timestamp, 'sha256-lf:daf92fe20b5d1f7ba2161e3b1e1381e689fc6a90972a9d2844f81a908b41b0dc');

commit;
