-- tidemark migrate up --sql (mariadb): 3 migrations, 20261124090333_create_user_table … 20261124090338_add_user_age
-- Written without a database: assumes it stands at base.

-- version table (created when missing)
create table if not exists `tidemark_migrations` (`id` int not null auto_increment primary key, `name` varchar(255) not null, `executed_at` datetime not null default current_timestamp, `status` varchar(16) null, `started_at` datetime null, `finished_at` datetime null, `statements_total` int null, `statements_done` int null, `error` text null, `checksum` varchar(80) null, `owner_host` varchar(255) null, `owner_pid` int null, `owner_connection` varchar(64) null) default character set utf8mb4 engine = InnoDB;
alter table `tidemark_migrations` add unique `tidemark_migrations_name_unique` (`name`);


-- apply 20261124090333_create_user_table
set names utf8mb4;
-- lock: a new table; blocks nothing; instant
create table `user` (`id` int unsigned not null primary key auto_increment, `email` varchar(255) not null, `name` varchar(255) not null) default character set utf8mb4 engine = InnoDB;
create unique index `user_email_unique` on `user` (`email`);
insert into `tidemark_migrations` (`name`, `status`, `started_at`, `finished_at`, `checksum`) values ('20261124090333_create_user_table', 'applied', current_timestamp, current_timestamp, 'sha256-lf:86a56241f23d6a61a42e02c2350274aa0a3e7f8a83add62474fa3ba194fa22e8');

-- apply 20261124090337_create_project_table
set names utf8mb4;
-- lock: a new table; blocks nothing; instant
create table `project` (`id` int unsigned not null primary key auto_increment, `name` varchar(100) not null, `description` text, `owner_id` int unsigned not null, `created_at` datetime not null, constraint `project_owner_id_foreign` foreign key (`owner_id`) references `user` (`id`) on delete cascade) default character set utf8mb4 engine = InnoDB;
create index `project_owner_id_index` on `project` (`owner_id`);
insert into `tidemark_migrations` (`name`, `status`, `started_at`, `finished_at`, `checksum`) values ('20261124090337_create_project_table', 'applied', current_timestamp, current_timestamp, 'sha256-lf:401dedbe1a5c497180f0d1208d83cdfa6ccc532e9898395d284200777ee93215');

-- apply 20261124090338_add_user_age
set names utf8mb4;
-- lock: ALGORITHM=INSTANT, LOCK=NONE on "user" (the server's choice); blocks nothing; instant
alter table `user` add column `age` int;
insert into `tidemark_migrations` (`name`, `status`, `started_at`, `finished_at`, `checksum`) values ('20261124090338_add_user_age', 'applied', current_timestamp, current_timestamp, 'sha256-lf:daf92fe20b5d1f7ba2161e3b1e1381e689fc6a90972a9d2844f81a908b41b0dc');

