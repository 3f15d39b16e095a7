// Generated projects for the scale benchmark (bench/scale.mjs): a long history of small
// migrations, or one migration creating many tables. Plain files, as a team would have them.
import { mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const pad = (n, w) => String(n).padStart(w, '0');

/** A migration id: one second apart from 2026-01-01 00:00:00, so they sort in history order. */
export function migrationId(i, slug) {
  const d = new Date(Date.UTC(2026, 0, 1) + i * 1000);
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`;
  return `${stamp}_${slug}`;
}

function migrationSource(i, id, parent, up, down) {
  return `import { TidemarkMigration } from 'tidemark';

export class M${i} extends TidemarkMigration {
  static override readonly id = '${id}';
  static override readonly parents = [${parent ? `'${parent}'` : ''}];

  override up(): void {
${up.map((l) => `    ${l}`).join('\n')}
  }

  override down(): void {
${down.map((l) => `    ${l}`).join('\n')}
  }
}
`;
}

/**
 * Migration i of a long history, in a cycle of four: create table h{k} (from the second
 * table on, with a foreign key to the previous one), add a column, index it, change its type
 * (a table rebuild on SQLite). Every kind of step verify and up meet in a real history.
 */
function historyStep(i) {
  const k = Math.floor(i / 4);
  const t = `h${k}`;
  const col = `c${k}`;
  switch (i % 4) {
    case 0: {
      const fk = k > 0;
      const up = [
        `this.createTable('${t}', (t) => {`,
        `  t.column('id', { type: 'integer', primary: true, autoincrement: true, unsigned: true });`,
        `  t.column('name', { type: 'string', length: 100 });`,
        ...(fk
          ? [
              `  t.column('parent_id', { type: 'integer', nullable: true, unsigned: true });`,
              `  t.index('${t}_parent_id_index', ['parent_id'], { foreignKey: true });`,
              `  t.foreignKey('${t}_parent_id_foreign', ['parent_id'], 'h${k - 1}', ['id'], { onDelete: 'set null' });`,
            ]
          : []),
        `});`,
      ];
      return { slug: `create_${t}`, up, down: [`this.dropTable('${t}');`] };
    }
    case 1:
      return { slug: `add_${t}_${col}`, up: [`this.addColumn('${t}', '${col}', { type: 'integer', nullable: true });`], down: [`this.dropColumn('${t}', '${col}');`] };
    case 2:
      return { slug: `index_${t}_${col}`, up: [`this.createIndex('${t}', '${t}_${col}_index', ['${col}']);`], down: [`this.dropIndex('${t}', '${t}_${col}_index');`] };
    default:
      return {
        slug: `widen_${t}_${col}`,
        up: [`this.alterColumn('${t}', '${col}', { type: 'bigint', nullable: true });`],
        down: [`this.alterColumn('${t}', '${col}', { type: 'integer', nullable: true });`],
      };
  }
}

/** The entity of table h{k} as the first `n` migrations of the history leave it (legacy decorators). */
function historyEntity(k, n) {
  const has = (step) => 4 * k + step < n;
  const imports = ['Entity', ...(has(2) ? ['Index'] : []), ...(k > 0 ? ['ManyToOne'] : []), 'PrimaryKey', 'Property'];
  let s = `import { ${imports.join(', ')} } from '@mikro-orm/decorators/legacy';\n`;
  if (k > 0) s += `import { H${k - 1} } from './H${k - 1}.js';\n`;
  s += `\n@Entity({ tableName: 'h${k}' })\n`;
  if (has(2)) s += `@Index({ name: 'h${k}_c${k}_index', properties: ['c${k}'] })\n`;
  s += `export class H${k} {\n  @PrimaryKey() id!: number;\n  @Property({ length: 100 }) name!: string;\n`;
  if (k > 0) s += `  @ManyToOne(() => H${k - 1}, { nullable: true, fieldName: 'parent_id', deleteRule: 'set null' }) parent?: H${k - 1};\n`;
  if (has(1)) s += has(3) ? `  @Property({ type: 'bigint', nullable: true, fieldName: 'c${k}' }) c${k}?: string;\n` : `  @Property({ nullable: true, fieldName: 'c${k}' }) c${k}?: number;\n`;
  return `${s}}\n`;
}

/** One table of the wide schema (as bench/schema.mjs's t{i}: every 5th has a foreign key to the previous one). */
function wideTable(i) {
  const fk = i % 5 === 4;
  return [
    `this.createTable('t${i}', (t) => {`,
    `  t.column('id', { type: 'integer', primary: true, autoincrement: true });`,
    `  t.column('name', { type: 'string', length: 255 });`,
    `  t.column('description', { type: 'text' });`,
    `  t.column('quantity', { type: 'integer' });`,
    `  t.column('is_active', { type: 'boolean' });`,
    `  t.column('created_at', { type: 'datetime' });`,
    `  t.column('note', { type: 'string', length: 255, nullable: true });`,
    `  t.column('price', { type: 'decimal', precision: 10, scale: 2 });`,
    ...(fk
      ? [
          `  t.column('parent_id', { type: 'integer', nullable: true });`,
          `  t.index('t${i}_parent_id_index', ['parent_id'], { foreignKey: true });`,
          `  t.foreignKey('t${i}_parent_id_foreign', ['parent_id'], 't${i - 1}', ['id'], { onDelete: 'set null' });`,
        ]
      : []),
    `  t.index('idx_t${i}_name', ['name']);`,
    `});`,
  ];
}

/**
 * A project in `dir` (config, package.json, `node_modules/tidemark` → the repo, migrations/):
 * `history` N migrations in a chain (historyStep), or `tables` N tables created by one initial
 * migration (the 2,000-table case), or by migrations of `per` tables each. `url` is written into the config.
 */
export function writeScaleProject(dir, { kind, n, per, url, repo, entities = false }) {
  const migrations = join(dir, 'migrations');
  mkdirSync(migrations, { recursive: true });
  mkdirSync(join(dir, 'entities'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  writeFileSync(
    join(dir, 'tidemark.config.ts'),
    `import { defineConfig } from 'tidemark';\n\nexport default defineConfig({ entities: ['./entities/*.ts'], migrations: './migrations', url: ${JSON.stringify(url)} });\n`,
  );
  if (repo) {
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    if (!existsSync(join(dir, 'node_modules', 'tidemark'))) symlinkSync(repo, join(dir, 'node_modules', 'tidemark'));
  }
  const ids = [];
  if (kind === 'tables') {
    // `per` tables to a migration (default: all in one, the initial migration of a big schema).
    const size = per ?? n;
    for (let first = 0, m = 0; first < n; first += size, m++) {
      const last = Math.min(n, first + size);
      const id = migrationId(m, size >= n ? `create_${n}_tables` : `create_tables_${first}_to_${last - 1}`);
      const up = [];
      const down = [];
      for (let i = first; i < last; i++) up.push(...wideTable(i));
      for (let i = last - 1; i >= first; i--) down.push(`this.dropTable('t${i}');`);
      writeFileSync(join(migrations, `${id}.ts`), migrationSource(m, id, ids.at(-1), up, down));
      ids.push(id);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const { slug, up, down } = historyStep(i);
      const id = migrationId(i, slug);
      writeFileSync(join(migrations, `${id}.ts`), migrationSource(i, id, ids.at(-1), up, down));
      ids.push(id);
    }
  }
  if (entities && kind === 'history') for (let k = 0; 4 * k < n; k++) writeFileSync(join(dir, 'entities', `H${k}.ts`), historyEntity(k, n));
  return ids;
}
