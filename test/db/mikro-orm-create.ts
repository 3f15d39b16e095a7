/**
 * MikroORM builds a schema itself, in a child process of the baseline suite: the project's
 * entities are loaded the way tidemark loads them and handed to the dialect's own MikroORM,
 * whose `schema.create()` makes the tables (what `npx mikro-orm schema:create --run` does).
 *
 *   node mikro-orm-create.ts <project dir> <url>
 */
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { loadEntities } from '../../src/commands/entities.ts';
import { resolveConfig } from '../../src/config.ts';
import { parseDatabaseUrl } from '../../src/url.ts';

const [dir, rawUrl] = process.argv.slice(2) as [string, string];
const config = await resolveConfig({ cwd: dir });
const { entities } = await loadEntities(config);
const url = parseDatabaseUrl(rawUrl, dir, 'mikro-orm-create');
const pkg = { sqlite: '@mikro-orm/sqlite', postgresql: '@mikro-orm/postgresql', mysql: '@mikro-orm/mysql', mariadb: '@mikro-orm/mariadb' }[url.dialect];
const { MikroORM } = (await import(pkg)) as typeof import('@mikro-orm/sqlite');
const connection = url.dialect === 'sqlite' ? { dbName: url.file } : { dbName: url.database, host: url.host, port: url.port, user: url.user, password: url.password };
const orm = await MikroORM.init({ ...connection, entities: entities as never[], metadataProvider: ReflectMetadataProvider, allowGlobalContext: true, debug: false } as never);
try {
  await orm.schema.create();
} finally {
  await orm.close(true);
}
