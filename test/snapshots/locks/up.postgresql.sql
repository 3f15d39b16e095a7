-- tidemark migrate up --sql (postgresql): 3 migrations, 20260101000000_create_shop … 20260101000002_online_forms
-- Written without a database: assumes it stands at base.

-- version table (created when missing)
create table if not exists "tidemark_migrations" ("id" serial primary key, "name" varchar(255) not null, "executed_at" timestamptz(6) not null default current_timestamp(6), "status" varchar(16) null, "started_at" timestamptz(6) null, "finished_at" timestamptz(6) null, "statements_total" int null, "statements_done" int null, "error" text null, "checksum" varchar(80) null, "owner_host" varchar(255) null, "owner_pid" int null, "owner_connection" varchar(64) null);
create unique index if not exists "tidemark_migrations_name_unique" on "tidemark_migrations" ("name");

begin;

-- apply 20260101000000_create_shop
set names 'utf8';
-- lock: a new table; blocks nothing; instant
create table "customer" ("id" serial not null primary key, "email" varchar(200) not null, "name" varchar(100));
-- lock: a new table; blocks nothing; instant
create table "purchase" ("id" serial not null primary key, "note" varchar(40), "qty" int, "customer_id" int);
-- lock: SHARE on "purchase"; blocks writes; scans the table (time grows with its size)
create index "purchase_note_index" on "purchase" ("note");
insert into "tidemark_migrations" ("name", "status", "started_at", "finished_at", "checksum") values ('20260101000000_create_shop', 'applied', current_timestamp, current_timestamp, 'sha256-lf:fc520fa6b9ce055ab5a01498ad03d05643d9d093f2a35191c13a63fa8990c2b8');

-- apply 20260101000001_plain_forms
set names 'utf8';
-- TM201 SHARE on "purchase"; blocks writes; scans the table (time grows with its size); safe form: { online: true } on createIndex: CREATE INDEX CONCURRENTLY, in a migration with static transactional = false
create index "purchase_qty_index" on "purchase" ("qty");
-- TM203 SHARE ROW EXCLUSIVE on "purchase" and "customer"; blocks writes; scans the table (time grows with its size); safe form: { validate: 'later' } on addForeignKey, then this.validateConstraint(table, name): NOT VALID, then VALIDATE CONSTRAINT while writes go on
alter table "purchase" add constraint "purchase_customer_id_foreign" foreign key ("customer_id") references "customer" ("id");
-- TM205 ACCESS EXCLUSIVE on "purchase"; blocks reads and writes; scans the table (time grows with its size); safe form: { online: true } on alterColumn: a NOT VALID check, VALIDATE CONSTRAINT while writes go on, then SET NOT NULL without a scan
alter table "purchase" alter column "qty" set not null;
-- TM206 ACCESS EXCLUSIVE on "purchase"; blocks reads and writes; rewrites the table (time grows with its size); safe form: expand and contract: add a new column, backfill it in batches, switch the application to it, then drop the old one
alter table "purchase" alter column "customer_id" type bigint using "customer_id"::bigint;
-- lock: ACCESS EXCLUSIVE on "purchase"; blocks reads and writes; instant
alter table "purchase" alter column "note" type varchar(80) using "note"::varchar(80);
-- TM204 ACCESS EXCLUSIVE on "purchase"; blocks reads and writes; scans the table (time grows with its size); safe form: { validate: 'later' } on addCheck, then this.validateConstraint(table, name): NOT VALID, then VALIDATE CONSTRAINT while writes go on
alter table "purchase" add constraint "purchase_qty_positive" check (qty > 0);
-- TM202 ACCESS EXCLUSIVE on "purchase"; blocks reads and writes; instant; safe form: { online: true } on dropIndex: DROP INDEX CONCURRENTLY, in a migration with static transactional = false
drop index "purchase_note_index";
-- lock: a new table; blocks nothing; instant
create table "refund" ("id" serial not null primary key, "purchase_id" int not null);
-- lock: SHARE on "refund"; blocks writes; scans the table (time grows with its size)
create index "refund_purchase_id_index" on "refund" ("purchase_id");
insert into "tidemark_migrations" ("name", "status", "started_at", "finished_at", "checksum") values ('20260101000001_plain_forms', 'applied', current_timestamp, current_timestamp, 'sha256-lf:b3584679dec37e082678599456bdbf46f8e8cf97ad703d33e3fc3aae37997699');
commit;

-- apply 20260101000002_online_forms (outside a transaction)
set names 'utf8';
-- lock: SHARE UPDATE EXCLUSIVE on "customer"; blocks nothing; scans the table (time grows with its size)
create index concurrently if not exists "customer_email_index" on "customer" ("email");
-- lock: SHARE ROW EXCLUSIVE on "refund" and "purchase"; blocks writes; instant
alter table "refund" add constraint "refund_purchase_id_foreign" foreign key ("purchase_id") references "purchase" ("id") not valid;
-- lock: SHARE UPDATE EXCLUSIVE on "refund", ROW SHARE on "purchase"; blocks nothing; scans the table (time grows with its size)
alter table "refund" validate constraint "refund_purchase_id_foreign";
-- lock: ACCESS EXCLUSIVE on "customer"; blocks reads and writes; instant
alter table "customer" add constraint "customer_email_at" check (email like '%@%') not valid;
-- lock: SHARE UPDATE EXCLUSIVE on "customer"; blocks nothing; scans the table (time grows with its size)
alter table "customer" validate constraint "customer_email_at";
-- lock: ACCESS EXCLUSIVE on "customer"; blocks reads and writes; instant
alter table "customer" drop constraint if exists "customer_name_not_null";
alter table "customer" add constraint "customer_name_not_null" check ("name" is not null) not valid;
alter table "customer" validate constraint "customer_name_not_null";
alter table "customer" alter column "name" set not null;
alter table "customer" drop constraint "customer_name_not_null";
-- lock: SHARE UPDATE EXCLUSIVE on "purchase"; blocks nothing; instant
drop index concurrently if exists "purchase_qty_index";
insert into "tidemark_migrations" ("name", "status", "started_at", "finished_at", "checksum") values ('20260101000002_online_forms', 'applied', current_timestamp, current_timestamp, 'sha256-lf:c3ef6054e6d80e637efda90455a989e37bddff85207ae8d301cda677d3a6b132');

