import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { parseDatabaseUrl, redact } from '../../src/url.ts';

const parse = (url: string) => parseDatabaseUrl(url, '/srv/app', 'tidemark.config.ts');

describe('parseDatabaseUrl', () => {
  test('sqlite: a relative path is taken from baseDir', () => {
    expect(parse('sqlite:./x.db')).toEqual({ dialect: 'sqlite', file: '/srv/app/x.db', display: 'sqlite:./x.db' });
    expect(parse('sqlite:data/x.db').file).toBe(resolve('/srv/app', 'data/x.db'));
    expect(parse('sqlite:../x.db').file).toBe('/srv/x.db');
  });

  test('sqlite: an absolute path is kept, with or without //', () => {
    expect(parse('sqlite:/var/db/x.db').file).toBe('/var/db/x.db');
    expect(parse('sqlite:///var/db/x.db').file).toBe('/var/db/x.db');
    expect(parse('sqlite://./x.db').file).toBe('/srv/app/x.db');
  });

  test('sqlite::memory:', () => {
    expect(parse('sqlite::memory:')).toEqual({ dialect: 'sqlite', file: ':memory:', display: 'sqlite::memory:' });
  });

  test('sqlite: with no file is a ConfigError', () => {
    expect(() => parse('sqlite:')).toThrow(ConfigError);
  });

  test('postgres: every part, the password decoded, the display redacted', () => {
    expect(parse('postgres://u:p%40ss@h:5433/db?schema=s')).toEqual({
      dialect: 'postgresql',
      host: 'h',
      port: 5433,
      user: 'u',
      password: 'p@ss',
      database: 'db',
      schema: 's',
      display: 'postgres://u:****@h:5433/db?schema=s',
    });
  });

  test('postgresql:// is the same dialect; default port 5432; no user or password', () => {
    expect(parse('postgresql://h/db')).toEqual({
      dialect: 'postgresql',
      host: 'h',
      port: 5432,
      user: undefined,
      password: undefined,
      database: 'db',
      schema: undefined,
      display: 'postgresql://h/db',
    });
  });

  test('mysql:// and mariadb://, default port 3306', () => {
    expect(parse('mysql://root:secret@db.local/app')).toMatchObject({
      dialect: 'mysql',
      host: 'db.local',
      port: 3306,
      user: 'root',
      password: 'secret',
      database: 'app',
      display: 'mysql://root:****@db.local/app',
    });
    expect(parse('mariadb://root@localhost:3307/app')).toMatchObject({ dialect: 'mariadb', port: 3307, user: 'root', password: undefined, database: 'app' });
  });

  test('a percent-encoded user and database are decoded', () => {
    expect(parse('postgres://us%20er:pw@h/my%20db')).toMatchObject({ user: 'us er', database: 'my db' });
  });

  test('a bad scheme is a ConfigError that shows no password', () => {
    expect(() => parse('mongodb://u:hunter2@h/db')).toThrow(ConfigError);
    expect(() => parse('mongodb://u:hunter2@h/db')).toThrow(/unsupported database URL scheme 'mongodb:'/);
    expect(() => parse('mongodb://u:hunter2@h/db')).not.toThrow(/hunter2/);
  });

  test('not a URL at all is a ConfigError', () => {
    expect(() => parse('localhost/db')).toThrow(ConfigError);
    expect(() => parse('')).toThrow(ConfigError);
  });

  test('no database name is a ConfigError that shows no password', () => {
    expect(() => parse('postgres://u:hunter2@h:5432/')).toThrow(ConfigError);
    expect(() => parse('postgres://u:hunter2@h:5432/')).not.toThrow(/hunter2/);
  });

  test('a raw % in the password is a ConfigError or is kept, never a URIError', () => {
    let result;
    try {
      result = parse('postgres://u:100%pure@h/db');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect(String(error)).not.toContain('100%pure');
      return;
    }
    expect(result.password).toBe('100%pure');
  });

  test('display never contains the password, even one with a raw @', () => {
    const r = parse('postgres://u:p@ss@h/db');
    expect(r.password).toBe('p@ss');
    expect(r.display).not.toContain('ss@');
    expect(r.display).toBe('postgres://u:****@h/db');
  });
});

describe('redact', () => {
  test('hides a password in a message, URL-encoded or not, and keeps the rest', () => {
    expect(redact('cannot connect to postgres://u:s3cret@h:5433/db: timeout')).toBe('cannot connect to postgres://u:****@h:5433/db: timeout');
    expect(redact('cannot connect to postgres://u:p%40ss@h:5433/db')).toBe('cannot connect to postgres://u:****@h:5433/db');
    expect(redact('mysql://root:a:b:c@h/db')).toBe('mysql://root:****@h/db');
  });

  test('hides every URL in the message', () => {
    expect(redact('from mysql://a:one@h/x to mariadb://b:two@h/y')).toBe('from mysql://a:****@h/x to mariadb://b:****@h/y');
  });

  test('hides a raw (not URL-encoded) password containing @', () => {
    const out = redact('cannot connect to postgres://u:p@ss@h:5433/db');
    expect(out).not.toContain('p@ss');
    expect(out).not.toContain('ss@h');
    expect(out).toBe('cannot connect to postgres://u:****@h:5433/db');
  });

  test('leaves URLs without a password and other text alone', () => {
    for (const text of ['postgres://u@h/db', 'sqlite:./x.db', 'see https://example.com/a:b', 'time 12:30@noon']) {
      expect(redact(text)).toBe(text);
    }
  });
});

describe('an unencoded password', () => {
  test.each(['postgres://bob:pa#ss@localhost/db', 'postgres://bob:pa/ss@localhost/db', 'mysql://bob:p@ss?x@h/db'])('%s: one line that says to URL-encode it, never the password', (url) => {
    let message = '';
    try {
      parseDatabaseUrl(url, '/', '--url');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/^--url: .*URL-encode it \(encodeURIComponent/);
    expect(message).not.toMatch(/pa#ss|pa\/ss|p@ss/);
    expect(message.split('\n')).toHaveLength(1);
  });

  test('an encoded one parses, and no hint is given to a URL that needs none', () => {
    expect(parseDatabaseUrl(`postgres://bob:${encodeURIComponent('pa#ss')}@localhost/db`, '/', '--url').password).toBe('pa#ss');
    expect(() => parseDatabaseUrl('postgres://bob:ok@localhost/', '/', '--url')).toThrow(/names no database$/);
  });
});
