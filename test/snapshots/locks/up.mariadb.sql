-- tidemark migrate up --sql (mariadb): 3 migrations, 20260101000000_create_shop … 20260101000002_online_forms
-- Written without a database: assumes it stands at base.

-- version table (created when missing)
create table if not exists `tidemark_migrations` (`id` int not null auto_increment primary key, `name` varchar(255) not null, `executed_at` datetime not null default current_timestamp, `status` varchar(16) null, `started_at` datetime null, `finished_at` datetime null, `statements_total` int null, `statements_done` int null, `error` text null, `checksum` varchar(80) null, `owner_host` varchar(255) null, `owner_pid` int null, `owner_connection` varchar(64) null) default character set utf8mb4 engine = InnoDB;
alter table `tidemark_migrations` add unique `tidemark_migrations_name_unique` (`name`);


-- apply 20260101000000_create_shop
set names utf8mb4;
-- lock: a new table; blocks nothing; instant
create table `customer` (`id` int not null primary key auto_increment, `email` varchar(200) not null, `name` varchar(100)) default character set utf8mb4 engine = InnoDB;
-- lock: a new table; blocks nothing; instant
create table `purchase` (`id` int not null primary key auto_increment, `note` varchar(40), `qty` int, `customer_id` int) default character set utf8mb4 engine = InnoDB;
-- lock: ALGORITHM=NOCOPY, LOCK=NONE on "purchase" (the server's choice); blocks nothing; scans the table (time grows with its size)
create index `purchase_note_index` on `purchase` (`note`);
insert into `tidemark_migrations` (`name`, `status`, `started_at`, `finished_at`, `checksum`) values ('20260101000000_create_shop', 'applied', current_timestamp, current_timestamp, 'sha256-lf:fc520fa6b9ce055ab5a01498ad03d05643d9d093f2a35191c13a63fa8990c2b8');

-- apply 20260101000001_plain_forms
set names utf8mb4;
-- lock: ALGORITHM=NOCOPY, LOCK=NONE on "purchase" (the server's choice); blocks nothing; scans the table (time grows with its size)
create index `purchase_qty_index` on `purchase` (`qty`);
-- TM203 ALGORITHM=COPY, LOCK=SHARED on "purchase" (the server's choice); blocks writes; rewrites the table (time grows with its size); safe form: { validate: 'later' } on addForeignKey, then this.validateConstraint(table, name): added in place with foreign_key_checks off, then a query checks the rows
alter table `purchase` add constraint `purchase_customer_id_foreign` foreign key (`customer_id`) references `customer` (`id`);
-- lock: ALGORITHM=INPLACE, LOCK=NONE on "purchase" (the server's choice); blocks nothing; rewrites the table (time grows with its size)
alter table `purchase` modify column `qty` int not null;
-- lock: ALGORITHM=INSTANT, LOCK=NONE on "purchase" (the server's choice); blocks nothing; instant
alter table `purchase` drop foreign key `purchase_customer_id_foreign`;
-- TM206 ALGORITHM=COPY, LOCK=SHARED on "purchase" (the server's choice); blocks writes; rewrites the table (time grows with its size); safe form: expand and contract: add a new column, backfill it in batches, switch the application to it, then drop the old one; or pt-online-schema-change (Debian percona-toolkit) copies the table in the background while writes go on
alter table `purchase` modify column `customer_id` bigint;
-- TM203 ALGORITHM=COPY, LOCK=SHARED on "purchase" (the server's choice); blocks writes; rewrites the table (time grows with its size); safe form: { validate: 'later' } on addForeignKey, then this.validateConstraint(table, name): added in place with foreign_key_checks off, then a query checks the rows
alter table `purchase` add constraint `purchase_customer_id_foreign` foreign key (`customer_id`) references `customer` (`id`);
-- TM206 ALGORITHM=COPY, LOCK=SHARED on "purchase" (the server's choice); blocks writes; rewrites the table (time grows with its size); safe form: expand and contract: add a new column, backfill it in batches, switch the application to it, then drop the old one; or pt-online-schema-change (Debian percona-toolkit) copies the table in the background while writes go on
alter table `purchase` modify column `note` varchar(80);
-- TM204 ALGORITHM=COPY, LOCK=SHARED on "purchase" (the server's choice); blocks writes; rewrites the table (time grows with its size); safe form: pt-online-schema-change (Debian percona-toolkit) copies the table in the background while writes go on
alter table `purchase` add constraint `purchase_qty_positive` check (qty > 0);
-- lock: ALGORITHM=NOCOPY, LOCK=NONE on "purchase" (the server's choice); blocks nothing; instant
drop index `purchase_note_index` on `purchase`;
-- lock: a new table; blocks nothing; instant
create table `refund` (`id` int not null primary key auto_increment, `purchase_id` int not null) default character set utf8mb4 engine = InnoDB;
-- lock: ALGORITHM=NOCOPY, LOCK=NONE on "refund" (the server's choice); blocks nothing; scans the table (time grows with its size)
create index `refund_purchase_id_index` on `refund` (`purchase_id`);
insert into `tidemark_migrations` (`name`, `status`, `started_at`, `finished_at`, `checksum`) values ('20260101000001_plain_forms', 'applied', current_timestamp, current_timestamp, 'sha256-lf:b3584679dec37e082678599456bdbf46f8e8cf97ad703d33e3fc3aae37997699');

-- apply 20260101000002_online_forms (outside a transaction)
set names utf8mb4;
-- lock: ALGORITHM=NOCOPY, LOCK=NONE on "customer" (asked: INPLACE, LOCK=NONE); blocks nothing; scans the table (time grows with its size)
alter table `customer` add index if not exists `customer_email_index` (`email`), algorithm=inplace, lock=none;
-- lock: ALGORITHM=INSTANT, LOCK=NONE on "refund" (asked: INPLACE, LOCK=NONE); blocks nothing; instant
set statement foreign_key_checks = 0 for alter table `refund` add constraint `refund_purchase_id_foreign` foreign key (`purchase_id`) references `purchase` (`id`), algorithm=inplace, lock=none;
-- lock: none (a consistent read); blocks nothing; scans the table (time grows with its size)
delimiter //
begin not atomic if exists (select 1 from `refund` c left join `purchase` p on c.`purchase_id` = p.`id` where c.`purchase_id` is not null and p.`id` is null limit 1) then signal sqlstate '23000' set message_text = 'foreign key refund_purchase_id_foreign on refund: rows reference no row of purchase'; end if; end //
delimiter ;
-- TM204 ALGORITHM=COPY, LOCK=SHARED on "customer" (the server's choice); blocks writes; rewrites the table (time grows with its size); safe form: pt-online-schema-change (Debian percona-toolkit) copies the table in the background while writes go on
alter table `customer` add constraint `customer_email_at` check (email like '%@%');
-- lock: ALGORITHM=INPLACE, LOCK=NONE on "customer" (asked: INPLACE, LOCK=NONE); blocks nothing; rewrites the table (time grows with its size)
alter table `customer` modify column `name` varchar(100) not null, algorithm=inplace, lock=none;
-- lock: ALGORITHM=NOCOPY, LOCK=NONE on "purchase" (asked: INPLACE, LOCK=NONE); blocks nothing; instant
alter table `purchase` drop index if exists `purchase_qty_index`, algorithm=inplace, lock=none;
insert into `tidemark_migrations` (`name`, `status`, `started_at`, `finished_at`, `checksum`) values ('20260101000002_online_forms', 'applied', current_timestamp, current_timestamp, 'sha256-lf:c3ef6054e6d80e637efda90455a989e37bddff85207ae8d301cda677d3a6b132');

