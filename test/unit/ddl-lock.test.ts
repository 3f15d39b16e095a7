import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { isLockTimeout, lockedStatement, parseDuration, retryDelay, wrapForLockTimeout } from '../../src/migrate/ddl-lock.ts';
import { concurrentIndexNames, rerunnable } from '../../src/migrate/online-steps.ts';
import { backfillSpec, type Step } from '../../src/runtime/data.ts';

describe('DDL lock timeout helpers', () => {
  it('reads durations as people write them, seconds when bare', () => {
    expect(['5s', '500ms', '2m', '1.5', ' 3 s ', '0'].map(parseDuration)).toEqual([5000, 500, 120_000, 1500, 3000, 0]);
    expect(parseDuration(2)).toBe(2000);
    expect(['soon', '-1s', '5h', '', '1e3'].map(parseDuration)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(parseDuration(-1)).toBeUndefined();
    // Past PostgreSQL's lock_timeout range: refused before a run, not by the server mid-run.
    expect(['99999999', '2147483647ms', '2147483648ms'].map(parseDuration)).toEqual([undefined, 2_147_483_647, undefined]);
  });

  it('waits longer after each attempt, capped, spread by the jitter', () => {
    expect([1, 2, 3, 4].map((a) => retryDelay(a, () => 0.5))).toEqual([500, 1000, 2000, 4000]);
    expect(retryDelay(1, () => 0)).toBe(250);
    expect(retryDelay(1, () => 0.999)).toBe(750);
    expect(retryDelay(10, () => 0.5)).toBe(10_000);
  });

  it('knows a lock timeout on each server, also wrapped as a cause', () => {
    expect(isLockTimeout({ code: '55P03' })).toBe(true);
    expect(isLockTimeout({ errno: 1205 })).toBe(true);
    expect(isLockTimeout({ errno: 3572 })).toBe(true);
    expect(isLockTimeout(new Error('wrapped', { cause: { sqlState: '55P03' } }))).toBe(true);
    expect(isLockTimeout({ code: '23505' })).toBe(false);
    expect(isLockTimeout(undefined)).toBe(false);
  });

  it('finds the table a timed-out statement waited for', () => {
    const at = (sql: string) => lockedStatement(Object.assign(new Error('x'), { [Symbol.for('tidemark.failedStatement')]: sql })).table;
    expect(at('alter table "user" add column "age" int')).toBe('user');
    expect(at('alter table `order` add `x` int, algorithm=inplace, lock=none')).toBe('order');
    expect(at('create unique index concurrently if not exists "i" on "item" ("code")')).toBe('item');
    expect(at('create index i on public.item (code)')).toBe('public.item');
    expect(at('alter table "tenant 1"."order" add column x int')).toBe('tenant 1.order');
    expect(at('alter table `shop`.`order` add `x` int')).toBe('shop.order');
    expect(at('create index "i" on item (code)')).toBe('item');
    expect(at('update "person" set a = 1 where id between ? and ?')).toBe('person');
    expect(at('lock table item in access exclusive mode')).toBe('item');
    expect(at('select 1')).toBeUndefined();
    expect(lockedStatement(new Error('no statement'))).toEqual({});
  });

  it('wraps in a transaction of its own only statements that take a table lock, never one that cannot run in a transaction', () => {
    for (const sql of [
      'alter table "item" add column "x" int',
      '-- why\nALTER TABLE item ADD x int;',
      'create unique index i on item (code)',
      'create table t (id int)',
      'drop table if exists t',
      'lock table item in access exclusive mode',
      'update "person" set a = 1 where id between 1 and 2',
      'insert into t values (1)',
      'alter index i rename to j',
    ]) expect([sql, wrapForLockTimeout(sql)]).toEqual([sql, true]);
    for (const sql of [
      'call p()',
      'do $$ begin commit; end $$',
      'vacuum item',
      'reindex schema public',
      'reindex database app',
      'alter table parent detach partition child concurrently',
      'create index concurrently i on item (code)',
      'drop index concurrently if exists i',
      'refresh materialized view concurrently v',
      'commit',
      'set lock_timeout = 0',
      'select 1',
      'create database x',
      'alter system set work_mem = 1',
      // Before PostgreSQL 12 it cannot run in a transaction block; it locks no table anyway.
      "alter type mood add value 'meh'",
      'create table t (id int); call p()',
    ]) expect([sql, wrapForLockTimeout(sql)]).toEqual([sql, false]);
  });
});

describe('steps safe to rerun', () => {
  const backfill: Step = { kind: 'data', run: () => {}, backfill: backfillSpec('m', 'user', { a: '1' }, 'a is null') };
  const index: Step = { kind: 'createIndex', table: 't', index: { name: 'i', columns: ['a'], unique: false } as never, online: true };

  it('only online index forms, validations, the online NOT NULL and backfills, outside a transaction', () => {
    expect(rerunnable({ transactional: false }, [index, backfill, { kind: 'validateConstraint', table: 't', name: 'c' }], 'postgresql')).toBe(true);
    expect(rerunnable({ transactional: true }, [index], 'postgresql')).toBe(false);
    expect(rerunnable({ transactional: false }, [index, { kind: 'addColumn', table: 't', column: { name: 'b' } as never }], 'postgresql')).toBe(false);
    expect(rerunnable({ transactional: false }, [{ kind: 'data', run: () => {} }], 'postgresql')).toBe(false);
    expect(rerunnable({ transactional: false }, [{ kind: 'sql', sql: 'create index concurrently if not exists i on t (a)' }], 'postgresql')).toBe(true);
    expect(rerunnable({ transactional: false }, [{ kind: 'sql', sql: 'create index concurrently i on t (a)' }], 'postgresql')).toBe(false);
    // MariaDB writes IF [NOT] EXISTS; MySQL cannot.
    expect(rerunnable({ transactional: true }, [index, backfill], 'mariadb')).toBe(true);
    expect(rerunnable({ transactional: true }, [index], 'mysql')).toBe(false);
    // A full-text index is built without IF NOT EXISTS: a second run fails on the one the first made.
    const fulltext: Step = { ...index, index: { name: 'f', columns: ['a'], unique: false, type: 'fulltext' } as never } as Step;
    expect(rerunnable({ transactional: true }, [fulltext], 'mariadb')).toBe(false);
    expect(rerunnable({ transactional: false }, [backfill], 'sqlite')).toBe(false);
    expect(rerunnable({ transactional: false }, [], 'postgresql')).toBe(false);
  });

  it('names the indexes built CONCURRENTLY, typed or hand-written', () => {
    expect(concurrentIndexNames([index as never, { kind: 'sql', sql: 'CREATE UNIQUE INDEX CONCURRENTLY "Odd ""name""" ON t (a)' }, { kind: 'createIndex', table: 't', index: { name: 'plain' } as never }])).toEqual(['i', 'Odd "name"']);
  });

  it('refuses a backfill without a where that stops matching done rows, or with a bad batch size', () => {
    expect(() => backfillSpec('m1', 'user', { a: '1' }, '')).toThrow(/migration m1: this.backfill\('user', …\): 'where' must be an SQL condition/);
    expect(() => backfillSpec('m1', 'user', {}, 'a is null')).toThrow(/'set' must name at least one column/);
    expect(() => backfillSpec('m1', 'user', 'a = 1', 'a is null', { batchSize: 0 })).toThrow(/batchSize 0 must be a whole number/);
  });
});

describe('config ddlLockTimeout', () => {
  it('takes a duration, and names the key when it is not one', async () => {
    const ok = await resolveConfig({ inline: { entities: [], ddlLockTimeout: '750ms' }, cwd: process.cwd() });
    expect(ok.ddlLockTimeoutMs).toBe(750);
    const bad = await resolveConfig({ inline: { entities: [], ddlLockTimeout: 'soon' }, cwd: process.cwd() }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as Error).message).toBe(`config: 'ddlLockTimeout' "soon" must be a duration such as '5s' or '500ms', or a number of seconds, at most 24 days`);
  });
});
