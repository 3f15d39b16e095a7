/**
 * MikroORM as the referee, in a child process of the oracle suite: the project's entities are
 * loaded the way tidemark loads them, then handed to the dialect's own MikroORM.
 *
 *   node referee.ts <project dir> <url> update   → the statements MikroORM still wants (JSON)
 *   node referee.ts <project dir> <url> create   → MikroORM creates the schema itself
 *   node referee.ts <project dir> <url> indexes  → the live indexes as MikroORM reads them (JSON)
 *   node referee.ts <project dir> <url> graph    → writes a fixed graph and reads it back (JSON)
 */
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { resolveConfig } from '../../../src/config.ts';
import { loadEntities } from '../../../src/commands/entities.ts';
import { parseDatabaseUrl } from '../../../src/url.ts';
import { writeGraph } from './graph.ts';

const [dir, rawUrl, mode] = process.argv.slice(2) as [string, string, string];
const config = await resolveConfig({ cwd: dir });
const { entities } = await loadEntities(config);
const url = parseDatabaseUrl(rawUrl, dir, 'referee');
const pkg = { sqlite: '@mikro-orm/sqlite', postgresql: '@mikro-orm/postgresql', mysql: '@mikro-orm/mysql', mariadb: '@mikro-orm/mariadb' }[url.dialect];
const { MikroORM } = (await import(pkg)) as typeof import('@mikro-orm/sqlite');
const connection =
  url.dialect === 'sqlite'
    ? { dbName: url.file }
    : { dbName: url.database, host: url.host, port: url.port, user: url.user, password: url.password };
const orm = await MikroORM.init({
  ...connection,
  entities: entities as never[],
  metadataProvider: ReflectMetadataProvider,
  allowGlobalContext: true,
  debug: false,
} as never);
try {
  if (mode === 'update') {
    const sql = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    const left = sql.split('\n').filter((l) => l.trim() && !/tidemark_(migrations|lock)/.test(l));
    process.stdout.write(JSON.stringify(left));
  } else if (mode === 'create-sql') {
    process.stdout.write(await orm.schema.getCreateSchemaSQL({ wrap: false }));
  } else if (mode === 'create') {
    await orm.schema.create();
  } else if (mode === 'indexes') {
    const { DatabaseSchema } = await import('@mikro-orm/sql');
    const live = await DatabaseSchema.create(orm.em.getConnection() as never, orm.em.getPlatform() as never, orm.config as never);
    const out: Record<string, unknown[]> = {};
    for (const t of live.getTables()) {
      if (/^tidemark_/.test(t.name)) continue;
      out[t.name] = t
        .getIndexes()
        .filter((i) => !i.primary)
        .map((i) => ({ name: i.keyName, columns: i.columnNames, unique: i.unique, type: i.type ?? null, expression: i.expression ? 'yes' : null }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
    }
    process.stdout.write(JSON.stringify(out));
  } else if (mode === 'graph') {
    process.stdout.write(JSON.stringify(await writeGraph(orm as never)));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} finally {
  await orm.close(true);
}
