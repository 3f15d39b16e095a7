-- tidemark migrate down --sql (sqlite): 3 migrations, 20261124090338_add_user_age … 20261124090333_create_user_table
-- Written without a database: assumes it stands at 20261124090338_add_user_age.

pragma foreign_keys = off;
begin;

-- revert 20261124090338_add_user_age
-- lock: the database write lock; blocks writes; instant
alter table "user" drop column "age";
delete from `tidemark_migrations` where `name` = '20261124090338_add_user_age';

-- revert 20261124090337_create_project_table
-- lock: the database write lock; blocks writes; instant
drop table "project";
delete from `tidemark_migrations` where `name` = '20261124090337_create_project_table';

-- revert 20261124090333_create_user_table
-- lock: the database write lock; blocks writes; instant
drop table "user";
delete from `tidemark_migrations` where `name` = '20261124090333_create_user_table';

pragma foreign_key_check;
commit;
pragma foreign_keys = on;
