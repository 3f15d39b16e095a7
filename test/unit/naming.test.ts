import { describe, expect, test } from 'vitest';
import { afterStamp, className, migrationId, slugify, stamp } from '../../codegen/naming.ts';
import { constraintName, fitIdentifier, MAX_IDENTIFIER_BYTES } from '../../src/schema/naming.ts';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('fitIdentifier', () => {
  test('a name within the limit is kept as is', () => {
    expect(fitIdentifier('user_email_unique')).toBe('user_email_unique');
    const exactly = 'x'.repeat(63);
    expect(fitIdentifier(exactly)).toBe(exactly);
  });

  test('a longer name fits 63 bytes: readable prefix, then _ and an 8-hex hash', () => {
    const long = `${'very_long_table_name_'.repeat(3)}column_foreign`;
    const out = fitIdentifier(long);
    expect(MAX_IDENTIFIER_BYTES).toBe(63);
    expect(bytes(out)).toBeLessThanOrEqual(63);
    expect(out.slice(0, -9)).toBe(long.slice(0, 54));
    expect(out.slice(-9)).toMatch(/^_[0-9a-f]{8}$/);
  });

  test('stable: the same name always gives the same identifier', () => {
    const long = 'a'.repeat(100);
    expect(fitIdentifier(long)).toBe(fitIdentifier(long));
    expect(fitIdentifier(long)).toMatchInlineSnapshot(`"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_28165978"`);
  });

  test('two long names sharing a prefix stay distinct', () => {
    const prefix = 'organization_membership_invitation_'.repeat(2);
    const a = fitIdentifier(`${prefix}inviter_id_foreign`);
    const b = fitIdentifier(`${prefix}invitee_id_foreign`);
    expect(a).not.toBe(b);
    expect(a.slice(0, -9)).toBe(b.slice(0, -9));
  });

  test('multi-byte Unicode: counted in bytes, not characters', () => {
    const name = 'größe_'.repeat(12); // 12 × 8 bytes = 96 bytes, 72 characters
    const out = fitIdentifier(name);
    expect(bytes(out)).toBeLessThanOrEqual(63);
    expect(name.startsWith(out.slice(0, -9))).toBe(true);
    expect(fitIdentifier('ü'.repeat(31))).toBe('ü'.repeat(31)); // 62 bytes
    expect(fitIdentifier('ü'.repeat(32))).not.toBe('ü'.repeat(32)); // 64 bytes
  });

  test('multi-byte Unicode: a character is never cut in half', () => {
    // 51 ASCII bytes, then 4-byte characters (two UTF-16 code units each).
    for (const name of ['a'.repeat(51) + '😀'.repeat(5), 'a'.repeat(52) + '😀'.repeat(5), '😀'.repeat(30), 'a'.repeat(50) + '€'.repeat(10)]) {
      const out = fitIdentifier(name);
      expect(bytes(out)).toBeLessThanOrEqual(63);
      expect(out.isWellFormed()).toBe(true);
      // 4-byte characters, which MariaDB refuses in names, become '_' (the hash keeps names apart).
      expect(name.replace(/😀/gu, '_').startsWith(out.slice(0, -9))).toBe(true);
    }
  });

  test('a smaller limit (MySQL-style) is honoured', () => {
    expect(bytes(fitIdentifier('x'.repeat(40), 20))).toBeLessThanOrEqual(20);
  });

  test('constraintName follows MikroORM: <table>_<columns>_<suffix>, fitted', () => {
    expect(constraintName('project', ['owner_id'], 'foreign')).toBe('project_owner_id_foreign');
    expect(constraintName('order', ['status', 'created_at'], 'index')).toBe('order_status_created_at_index');
    expect(bytes(constraintName('t'.repeat(40), ['c'.repeat(40)], 'unique'))).toBeLessThanOrEqual(63);
  });
});

describe('migration ids', () => {
  test('stamp: UTC, to the second', () => {
    expect(stamp(new Date('2026-11-24T09:03:33.987Z'))).toBe('20261124090333');
    expect(stamp(new Date(Date.UTC(2026, 0, 1, 0, 0, 0)))).toBe('20260101000000');
  });

  test('afterStamp: the second after, carrying over minutes, days, months and years', () => {
    expect(stamp(afterStamp('20261124090333'))).toBe('20261124090334');
    expect(stamp(afterStamp('20261124090359'))).toBe('20261124090400');
    expect(stamp(afterStamp('20261231235959'))).toBe('20270101000000');
    expect(stamp(afterStamp('20240228235959'))).toBe('20240229000000');
  });

  test('slugify', () => {
    expect(slugify('create user table')).toBe('create_user_table');
    expect(slugify('  Add User.Age!! ')).toBe('add_user_age');
    expect(slugify('Größe hinzufügen für Café')).toBe('gro_e_hinzufugen_fur_cafe'); // accents dropped; ß has no ASCII decomposition
    expect(slugify('add 2FA')).toBe('add_2fa');
    expect(slugify('日本語')).toBe('migration');
    expect(slugify('')).toBe('migration');
    expect(slugify('___')).toBe('migration');
  });

  test('slugify: at most 60 characters, never ending in _', () => {
    const slug = slugify(`${'word '.repeat(11)}x${'y'.repeat(20)}`);
    expect(slug.length).toBeLessThanOrEqual(60);
    expect(slug).not.toMatch(/_$/);
    expect(slugify(`${'a'.repeat(59)} b`)).toBe('a'.repeat(59));
  });

  test('migrationId = stamp + slug, and ids sort by time', () => {
    expect(migrationId(new Date('2026-11-24T09:03:33Z'), 'create user table')).toBe('20261124090333_create_user_table');
    const a = migrationId(new Date('2026-11-24T09:03:33Z'), 'zzz');
    const b = migrationId(afterStamp('20261124090333'), 'aaa');
    expect(a < b).toBe(true);
  });

  test('className', () => {
    expect(className('create_user_table')).toBe('CreateUserTable');
    expect(className('add_user_age')).toBe('AddUserAge');
    expect(className('add_2fa')).toBe('Add2fa');
    expect(className('2fa_codes')).toBe('M2faCodes');
    expect(className('migration')).toBe('Migration');
  });

  test('className is a valid identifier for any slug', () => {
    for (const message of ['2026 cleanup', 'add 2FA', '!!!', 'class', 'x']) {
      expect(className(slugify(message))).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
    }
  });
});
