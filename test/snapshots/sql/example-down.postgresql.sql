-- tidemark migrate down --sql (postgresql): 3 migrations, 20261124090338_add_user_age … 20261124090333_create_user_table
-- Written without a database: assumes it stands at 20261124090338_add_user_age.

begin;

-- revert 20261124090338_add_user_age
set names 'utf8';
-- lock: ACCESS EXCLUSIVE on "user"; blocks reads and writes; instant
alter table "user" drop column "age";
delete from "tidemark_migrations" where "name" = '20261124090338_add_user_age';

-- revert 20261124090337_create_project_table
set names 'utf8';
-- lock: ACCESS EXCLUSIVE on "project"; blocks reads and writes; instant
drop table "project";
delete from "tidemark_migrations" where "name" = '20261124090337_create_project_table';

-- revert 20261124090333_create_user_table
set names 'utf8';
-- lock: ACCESS EXCLUSIVE on "user"; blocks reads and writes; instant
drop table "user";
delete from "tidemark_migrations" where "name" = '20261124090333_create_user_table';

commit;
