import type { MikroORM, Transaction } from '@mikro-orm/core';
import { defineEntity, p } from '@mikro-orm/core';
import { Migrator as MikroMigrator, MigrationStorage } from '@mikro-orm/migrations';
import { withSquashes } from '../history/squash-view.ts';
import { DatabaseTable, type AbstractSqlDriver, type AbstractSqlPlatform, type EntityManager } from '@mikro-orm/sql';

/** The DDL of the version table on `platform` (also printed by `migrate up --sql`). */
export function versionTableSql(platform: AbstractSqlPlatform, tableName: string, schemaName?: string): string[] {
  const table = new DatabaseTable(platform, tableName, schemaName);
  const length = platform.getDefaultDateTimeLength();
  const dt = { type: platform.getDateTimeTypeDeclarationSQL({ length }), mappedType: platform.getMappedType('datetime'), length };
  const int = { type: platform.getIntegerTypeDeclarationSQL({}), mappedType: platform.getMappedType('number'), nullable: true };
  table.addColumn({ name: 'id', type: platform.getIntegerTypeDeclarationSQL({ autoincrement: true, unsigned: true }), mappedType: platform.getMappedType('number'), primary: true, autoincrement: true });
  table.addColumn({ name: 'name', type: platform.getVarcharTypeDeclarationSQL({ length: 255 }), mappedType: platform.getMappedType('string') });
  table.addColumn({ name: 'executed_at', ...dt, default: platform.getCurrentTimestampSQL(length) });
  table.addColumn({ name: 'status', type: platform.getVarcharTypeDeclarationSQL({ length: 16 }), mappedType: platform.getMappedType('string'), nullable: true });
  table.addColumn({ name: 'started_at', ...dt, nullable: true });
  table.addColumn({ name: 'finished_at', ...dt, nullable: true });
  table.addColumn({ name: 'statements_total', ...int });
  table.addColumn({ name: 'statements_done', ...int });
  table.addColumn({ name: 'error', type: platform.getTextTypeDeclarationSQL({}), mappedType: platform.getMappedType('text'), nullable: true });
  table.addColumn({ name: 'checksum', type: platform.getVarcharTypeDeclarationSQL({ length: 80 }), mappedType: platform.getMappedType('string'), nullable: true });
  for (const [name, type, mapped] of ownerColumns(platform)) table.addColumn({ name, type, mappedType: platform.getMappedType(mapped), nullable: true });
  table.setIndexes([
    { columnNames: ['id'], keyName: `${tableName}_pkey`, unique: true, primary: true, composite: false, constraint: true },
    { columnNames: ['name'], keyName: `${tableName}_name_unique`, unique: true, primary: false, composite: false, constraint: false },
  ] as never);
  return platform.getSchemaHelper()!.createTable(table);
}

/** Who runs a migration (written with `running`): host, process and lock session, for a liveness check. */
function ownerColumns(platform: AbstractSqlPlatform): [name: string, type: string, mapped: string][] {
  return [
    ['owner_host', platform.getVarcharTypeDeclarationSQL({ length: 255 }), 'string'],
    ['owner_pid', platform.getIntegerTypeDeclarationSQL({}), 'number'],
    ['owner_connection', platform.getVarcharTypeDeclarationSQL({ length: 64 }), 'string'],
  ];
}

export type RunStatus = 'running' | 'failed' | 'applied';

export interface VersionRow {
  name: string;
  status: RunStatus;
  executed_at?: Date;
  started_at?: Date | null;
  finished_at?: Date | null;
  statements_total?: number | null;
  statements_done?: number | null;
  error?: string | null;
  checksum?: string | null;
  owner_host?: string | null;
  owner_pid?: number | null;
  owner_connection?: string | null;
}

/**
 * The version table, extended from MikroORM's (id, name, executed_at) with the run's state:
 * a migration is recorded as `running` before its first statement where DDL cannot roll back
 * (MySQL/MariaDB), and becomes `applied` or `failed`. MikroORM's migrator still decides what
 * to run from `executed()`, which lists only applied migrations.
 */
export class TidemarkStorage extends MigrationStorage {
  readonly #driver: AbstractSqlDriver;
  #ensured = false;
  /** Checksums of the files being run, recorded with each migration as it is applied. */
  readonly checksums = new Map<string, string>();
  /** This run's owner, written with each migration it records as running. */
  owner?: { host: string; pid: number; connection?: string };
  /** Called before anything is recorded: throws when the run no longer holds the lock. */
  guard?: () => Promise<void>;
  /**
   * Squash → the ids it replaces: a database that recorded all of them has the squash applied
   * without a row of its own, and reverting the squash forgets their rows.
   */
  squashes = new Map<string, readonly string[]>();

  constructor(driver: AbstractSqlDriver, options: ConstructorParameters<typeof MigrationStorage>[1]) {
    super(driver, options);
    this.#driver = driver;
  }

  #table?: ReturnType<MigrationStorage['getTableName']>;

  override getTableName() {
    // Asked before every query on the table: defined once per storage, since every definition
    // (MikroORM's as well as this one) stays in MikroORM's process-wide EntitySchema registry,
    // and a fleet run opens hundreds of storages.
    if (this.#table) return this.#table;
    const { tableName, schemaName } = super.getTableName();
    const entity = defineEntity({
      name: 'TidemarkMigrationRow',
      tableName,
      schema: schemaName,
      properties: {
        id: p.integer().primary().fieldNames('id'),
        name: p.string().fieldNames('name'),
        executedAt: p.datetime().defaultRaw('current_timestamp').fieldNames('executed_at'),
        status: p.string().fieldNames('status').nullable(),
        startedAt: p.datetime().fieldNames('started_at').nullable(),
        finishedAt: p.datetime().fieldNames('finished_at').nullable(),
        statementsTotal: p.integer().fieldNames('statements_total').nullable(),
        statementsDone: p.integer().fieldNames('statements_done').nullable(),
        error: p.text().fieldNames('error').nullable(),
        checksum: p.string().fieldNames('checksum').nullable(),
        ownerHost: p.string().fieldNames('owner_host').nullable(),
        ownerPid: p.integer().fieldNames('owner_pid').nullable(),
        ownerConnection: p.string().fieldNames('owner_connection').nullable(),
      },
    }).init();
    entity.meta.sync();
    this.#table = { tableName, schemaName, entity };
    return this.#table;
  }

  override async ensureTable(): Promise<void> {
    if (this.#ensured) return;
    const platform = this.#driver.getPlatform();
    const helper = platform.getSchemaHelper()!;
    const connection = this.#driver.getConnection();
    const { tableName, schemaName } = this.getTableName();
    if (schemaName && schemaName !== platform.getDefaultSchemaName()) {
      const namespaces = await helper.getNamespaces(connection);
      if (!namespaces.includes(schemaName)) await connection.execute(helper.getCreateNamespaceSQL(schemaName), [], 'run');
    }
    if (!(await helper.tableExists(connection, tableName, schemaName))) {
      for (const sql of versionTableSql(platform, tableName, schemaName)) await connection.execute(sql, [], 'run');
    } else {
      await this.#addOwnerColumns();
    }
    this.#ensured = true;
  }

  /** A version table made by an older tidemark gets the owner columns (under the run lock, like its creation). */
  async #addOwnerColumns(): Promise<void> {
    const platform = this.#driver.getPlatform();
    const connection = this.#driver.getConnection();
    const table = this.#qualified();
    const has = (column: string) =>
      connection.execute(`select ${platform.quoteIdentifier(column)} from ${table} where 1 = 0`, [], 'all').then(
        () => true,
        () => false,
      );
    if (await has('owner_connection')) return;
    for (const [name, type] of ownerColumns(platform)) {
      if (!(await has(name))) await connection.execute(`alter table ${table} add column ${platform.quoteIdentifier(name)} ${type} null`, [], 'run');
    }
  }

  #qualified(): string {
    const { tableName, schemaName } = this.getTableName();
    const platform = this.#driver.getPlatform();
    const q = (s: string) => platform.quoteIdentifier(s);
    return schemaName && schemaName !== platform.getDefaultSchemaName() ? `${q(schemaName)}.${q(tableName)}` : q(tableName);
  }

  /** Like `rows`, but never creates the table (for read-only commands). */
  async rowsIfExists(): Promise<VersionRow[]> {
    const helper = this.#driver.getPlatform().getSchemaHelper()!;
    const { tableName, schemaName } = this.getTableName();
    if (!this.#ensured && !(await helper.tableExists(this.#driver.getConnection(), tableName, schemaName))) return [];
    this.#ensured = true;
    return this.rows();
  }

  /** Every row, whatever its state, oldest first. */
  async rows(): Promise<VersionRow[]> {
    const rows = (await super.getExecutedMigrations()) as unknown as VersionRow[];
    return rows.map((r) => ({ ...r, status: (r.status ?? 'applied') as RunStatus }));
  }

  override async executed(): Promise<string[]> {
    const names = (await this.rows()).filter((r) => r.status === 'applied').map((r) => r.name);
    return withSquashes(this.squashes, names);
  }

  override async unlogMigration(params: { name: string }, tx?: Transaction): Promise<void> {
    await super.unlogMigration(params, tx);
    for (const replaced of this.squashes.get(this.getMigrationName(params.name)) ?? []) await this.unlogMigration({ name: replaced }, tx);
  }

  override async logMigration(params: { name: string }, tx?: Transaction): Promise<void> {
    await this.guard?.();
    await this.ensureTable();
    const { entity } = this.getTableName();
    const name = this.getMigrationName(params.name);
    const ctx = tx ?? this.#master;
    const now = new Date();
    const checksum = this.checksums.get(name) ?? null;
    const updated = await this.#driver.nativeUpdate(entity as never, { name } as never, { status: 'applied', finishedAt: now, error: null, checksum } as never, { ctx });
    if (!updated.affectedRows) {
      await this.#driver.nativeInsert(entity as never, { name, status: 'applied', startedAt: now, finishedAt: now, checksum } as never, { ctx });
    }
  }

  #master?: Transaction;
  override setMasterMigration(trx: Transaction): void {
    super.setMasterMigration(trx);
    this.#master = trx;
  }
  override unsetMasterMigration(): void {
    super.unsetMasterMigration();
    this.#master = undefined;
  }

  /** Records that `name` is about to run, before its first statement (committed at once where DDL is not transactional). */
  async markStarted(name: string): Promise<void> {
    await this.guard?.();
    await this.ensureTable();
    const { entity } = this.getTableName();
    const owner = { ownerHost: this.owner?.host ?? null, ownerPid: this.owner?.pid ?? null, ownerConnection: this.owner?.connection ?? null };
    const running = { status: 'running', startedAt: new Date(), finishedAt: null, statementsDone: 0, error: null, ...owner };
    // One statement either way: a kill between a delete and an insert would lose the row.
    const updated = await this.#driver.nativeUpdate(entity as never, { name } as never, running as never, { ctx: this.#master });
    if (!updated.affectedRows) await this.#driver.nativeInsert(entity as never, { name, ...running } as never, { ctx: this.#master });
  }

  /** Marks a running migration failed; returns how many rows it marked (0: nothing was running). */
  async markFailed(name: string, error: string): Promise<number> {
    const { entity } = this.getTableName();
    const r = await this.#driver.nativeUpdate(entity as never, { name, status: 'running' } as never, { status: 'failed', finishedAt: new Date(), error: error.slice(0, 2000) } as never);
    return r.affectedRows ?? 0;
  }

  /** Forgets a migration's row (a `down`, or `resolve --rolled-back`). */
  async forget(name: string): Promise<void> {
    await this.ensureTable();
    const { entity } = this.getTableName();
    await this.#driver.nativeDelete(entity as never, { name } as never, { ctx: this.#master });
  }

  /** SQL that records progress inside a migration's statement list. */
  progressSql(name: string, done: number, total: number): string {
    const platform = this.#driver.getPlatform();
    const q = (s: string) => platform.quoteIdentifier(s);
    const table = this.#qualified();
    return `update ${table} set ${q('statements_done')} = ${done}, ${q('statements_total')} = ${total} where ${q('name')} = ${platform.quoteValue(name)}`;
  }
}

/**
 * MikroORM's migrator with tidemark's storage. It must be named `Migrator` and register
 * itself: MikroORM replaces an extension by class name, and the base `register` would
 * construct the stock class.
 */
export class Migrator extends MikroMigrator {
  static override register(orm: MikroORM): void {
    orm.config.registerExtension('@mikro-orm/migrator', () => new Migrator(orm.em as EntityManager));
  }

  protected override createStorage(): TidemarkStorage {
    return new TidemarkStorage(this.driver, this.options);
  }

  get versionTable(): TidemarkStorage {
    return this.storage as TidemarkStorage;
  }
}
