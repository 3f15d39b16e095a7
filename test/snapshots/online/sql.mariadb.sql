alter table `project` add index if not exists `project_created_at_index` (`created_at`), algorithm=inplace, lock=none;
alter table `user` add unique index if not exists `user_name_unique` (`name`), algorithm=inplace, lock=none;
alter table `project` add fulltext index `project_description_fulltext`(`description`);
alter table `project` drop index if exists `project_name_index`, algorithm=inplace, lock=none;
alter table `project` add constraint `project_reviewer_id_foreign` foreign key (`reviewer_id`) references `user` (`id`) on delete set null;
alter table `project` add constraint `project_name_check` check (name <> '');
alter table `project` modify column `description` text not null, algorithm=inplace, lock=none;
update `project` set `reviewer_id` = 0 where `reviewer_id` is null;
alter table `project` modify column `reviewer_id` int unsigned default 0 not null, algorithm=inplace, lock=none;
