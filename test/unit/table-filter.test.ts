import { describe, expect, it } from 'vitest';
import { configuredTables, managedTables, tablePatternsProblem } from '../../src/schema/table-filter.ts';

describe('tables patterns', () => {
  it('* is any run of characters (none included), ? exactly one; whole names, case-sensitive; regex characters are literal', () => {
    const managed = managedTables({ exclude: ['legacy_*', 'ext_??', 'a+b', 'x$'] });
    expect(['legacy_', 'legacy_user', 'ext_ab', 'a+b', 'x$'].filter(managed)).toEqual([]);
    expect(['legacy', 'my_legacy_user', 'Legacy_user', 'ext_a', 'ext_abc', 'aab', 'x'].every(managed)).toBe(true);
  });

  it('include narrows to its matches, exclude wins over include, the bookkeeping tables are never managed', () => {
    const managed = configuredTables({ tables: { include: ['*'], exclude: ['tmp_*'] }, tableName: 'schema_versions' });
    expect(['user', 'tmp_x', 'schema_versions', 'mikro_orm_migrations'].map(managed)).toEqual([true, false, false, false]);
    const only = managedTables({ include: ['app_*'] });
    expect(['app_user', 'user'].map(only)).toEqual([true, false]);
    expect(configuredTables({ tableName: 'tidemark_migrations' })('tidemark_migrations')).toBe(false);
  });

  it('valid settings have no problem', () => {
    expect(tablePatternsProblem({})).toBeUndefined();
    expect(tablePatternsProblem({ include: ['a*'], exclude: ['b?', 'c'] })).toBeUndefined();
  });
});
