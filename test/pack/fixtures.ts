/**
 * The apps the pack suite installs tidemark into, as files. Each app has its entities at the
 * seed story's three versions (user table; project table with an owner that cascades; a
 * nullable user.age), a strict NodeNext tsconfig, and a referee script that asks MikroORM
 * itself, through the app's own config, what it would still change in the migrated database.
 */

export type Files = Record<string, string>;

export interface AppKind {
  /** Short name, used in test names and temp directory names. */
  name: string;
  decorators: boolean;
  /** Everything the app has before tidemark is set up. */
  base: Files;
  /** What the seed story writes at each of its three versions (files replaced or added). */
  versions: [Files, Files, Files];
  /** Written before the story (a tidemark config), or undefined when the story runs `tidemark init`. */
  tidemarkConfig?: Files;
  /** Expected tables after the story (besides tidemark_migrations) and their columns. */
  tables: Record<string, string[]>;
  /** The project table's foreign key to the user table. */
  ownerFk: { table: string; from: string; to: string };
  /** The compiled referee, relative to the app. */
  referee: string;
}

function tsconfig(options: { decorators: boolean }): string {
  const compilerOptions: Record<string, unknown> = {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    // TypeScript 6+ no longer includes every @types package by default.
    types: ['node'],
    rootDir: '.',
    outDir: 'build',
  };
  if (options.decorators) {
    compilerOptions.experimentalDecorators = true;
    compilerOptions.emitDecoratorMetadata = true;
  }
  return `${JSON.stringify({ compilerOptions }, null, 2)}\n`;
}

const LEGACY_USER_V1 = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity()
export class User {
  @PrimaryKey()
  id!: number;

  @Property({ unique: true })
  email!: string;

  @Property()
  name!: string;
}
`;

const LEGACY_USER_V3 = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

@Entity()
export class User {
  @PrimaryKey()
  id!: number;

  @Property({ unique: true })
  email!: string;

  @Property()
  name!: string;

  @Property({ nullable: true })
  age?: number;
}
`;

const legacyProject = (userImport: string) => `import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { User } from '${userImport}';

@Entity()
export class Project {
  @PrimaryKey()
  id!: number;

  @Property({ length: 100 })
  name!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  owner!: User;

  @Property()
  createdAt: Date = new Date();
}
`;

const prefixNaming = (from: string, prefix: string) => `import { UnderscoreNamingStrategy } from '${from}';

/** Every table of the app carries the \`${prefix}\` prefix. */
export class PrefixNamingStrategy extends UnderscoreNamingStrategy {
  override classToTableName(entityName: string, tableName?: string): string {
    return \`${prefix}\${super.classToTableName(entityName, tableName)}\`;
  }
}
`;

/**
 * (a) An ES module app laid out as MikroORM's docs show: src/mikro-orm.config.ts with folder
 * discovery (compiled entities for the running app, `entitiesTs` for TypeScript-aware tools), a
 * custom naming strategy and legacy decorators with inferred types. No tidemark config: the
 * story starts with `tidemark init`.
 */
export const ESM_APP: AppKind = {
  name: 'esm',
  decorators: true,
  base: {
    'package.json': `${JSON.stringify({ name: 'app-esm', private: true, type: 'module' }, null, 2)}\n`,
    'tsconfig.json': tsconfig({ decorators: true }),
    'src/naming.ts': prefixNaming('@mikro-orm/sqlite', 'app_'),
    'src/mikro-orm.config.ts': `import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { defineConfig } from '@mikro-orm/sqlite';
import { PrefixNamingStrategy } from './naming.js';

export default defineConfig({
  entities: ['./build/src/**/*.entity.js'],
  entitiesTs: ['./src/**/*.entity.ts'],
  dbName: 'app.sqlite3',
  namingStrategy: PrefixNamingStrategy,
  metadataProvider: ReflectMetadataProvider,
});
`,
    'scripts/referee.ts': `import { MikroORM } from '@mikro-orm/sqlite';
import config from '../src/mikro-orm.config.js';

const orm = await MikroORM.init(config);
try {
  process.stdout.write(await orm.schema.getUpdateSchemaSQL({ wrap: false }));
} finally {
  await orm.close(true);
}
`,
  },
  versions: [
    { 'src/modules/user.entity.ts': LEGACY_USER_V1 },
    { 'src/modules/project.entity.ts': legacyProject('./user.entity.js') },
    { 'src/modules/user.entity.ts': LEGACY_USER_V3 },
  ],
  // MikroORM's UnderscoreNamingStrategy builds join columns with classToTableName too, so the
  // prefix lands on owner_id as well (what MikroORM's own schema generator creates).
  tables: {
    app_user: ['id', 'email', 'name', 'age'],
    app_project: ['id', 'name', 'app_owner_id', 'created_at'],
  },
  ownerFk: { table: 'app_project', from: 'app_owner_id', to: 'app_user' },
  referee: 'build/scripts/referee.js',
};

/**
 * (b) A CommonJS app laid out as NestJS lays it out: no "type" in package.json, one folder per
 * module, extensionless relative imports, and a MikroORM config that finds entities from
 * `__dirname` (the same glob serves src/ under TypeScript and build/src/ once compiled).
 */
export const NEST_APP: AppKind = {
  name: 'nest',
  decorators: true,
  base: {
    'package.json': `${JSON.stringify({ name: 'app-nest', private: true, scripts: { build: 'tsc -p .' } }, null, 2)}\n`,
    'tsconfig.json': tsconfig({ decorators: true }),
    'src/common/naming.ts': prefixNaming('@mikro-orm/core', 'nest_'),
    'src/mikro-orm.config.ts': `import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { defineConfig } from '@mikro-orm/sqlite';
import { join } from 'path';
import { PrefixNamingStrategy } from './common/naming';

export default defineConfig({
  entities: [join(__dirname, '**', '*.entity.{ts,js}')],
  dbName: 'app.sqlite3',
  namingStrategy: PrefixNamingStrategy,
  metadataProvider: ReflectMetadataProvider,
});
`,
    'scripts/referee.ts': `import { MikroORM } from '@mikro-orm/sqlite';
import config from '../src/mikro-orm.config';

async function main(): Promise<void> {
  const orm = await MikroORM.init(config);
  try {
    process.stdout.write(await orm.schema.getUpdateSchemaSQL({ wrap: false }));
  } finally {
    await orm.close(true);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`,
  },
  versions: [
    { 'src/users/user.entity.ts': LEGACY_USER_V1 },
    { 'src/projects/project.entity.ts': legacyProject('../users/user.entity') },
    { 'src/users/user.entity.ts': LEGACY_USER_V3 },
  ],
  tables: {
    nest_user: ['id', 'email', 'name', 'age'],
    nest_project: ['id', 'name', 'nest_owner_id', 'created_at'],
  },
  ownerFk: { table: 'nest_project', from: 'nest_owner_id', to: 'nest_user' },
  referee: 'build/scripts/referee.js',
};

const defineUser = (age: boolean) => `import { defineEntity, p } from '@mikro-orm/core';

const UserSchema = defineEntity({
  name: 'User',
  properties: {
    id: p.integer().primary(),
    email: p.string().unique(),
    name: p.string(),${age ? '\n    age: p.integer().nullable(),' : ''}
  },
});

/** defineEntity with a class of the app's own. */
export class User extends UserSchema.class {
  label(): string {
    return \`\${this.name} <\${this.email}>\`;
  }
}

UserSchema.setClass(User);
`;

const configC = (entities: string[], imports: string) => `import { defineConfig } from '@mikro-orm/sqlite';
${imports}
export default defineConfig({
  entities: [${entities.join(', ')}],
  dbName: 'app.sqlite3',
});
`;

/**
 * (c) Entities without decorators: `defineEntity` with a class (User), `defineEntity` alone
 * (Tag) and a plain `EntitySchema` with its own table name (Project). The MikroORM config lists
 * them by reference and lives in the app's root; tidemark.config.ts names it.
 */
export const SCHEMA_APP: AppKind = {
  name: 'schema',
  decorators: false,
  base: {
    'package.json': `${JSON.stringify({ name: 'app-schema', private: true, type: 'module' }, null, 2)}\n`,
    'tsconfig.json': tsconfig({ decorators: false }),
    'scripts/referee.ts': `import { MikroORM } from '@mikro-orm/sqlite';
import config from '../mikro-orm.config.js';

const orm = await MikroORM.init(config);
try {
  process.stdout.write(await orm.schema.getUpdateSchemaSQL({ wrap: false }));
} finally {
  await orm.close(true);
}
`,
  },
  tidemarkConfig: {
    'tidemark.config.ts': `import { defineConfig } from 'tidemark';

export default defineConfig({
  mikroOrm: './mikro-orm.config.ts',
});
`,
  },
  versions: [
    {
      'src/entities/user.ts': defineUser(false),
      'mikro-orm.config.ts': configC(['User'], `import { User } from './src/entities/user.js';\n`),
    },
    {
      'src/entities/project.ts': `import { EntitySchema } from '@mikro-orm/core';
import { User } from './user.js';

export interface Project {
  id: number;
  name: string;
  owner: User;
  createdAt: Date;
}

/** A plain EntitySchema with a table name of its own. */
export const ProjectSchema = new EntitySchema<Project>({
  name: 'Project',
  tableName: 'projects',
  properties: {
    id: { type: 'integer', primary: true },
    name: { type: 'string', length: 100 },
    owner: { kind: 'm:1', entity: () => User, deleteRule: 'cascade' },
    createdAt: { type: 'datetime', onCreate: () => new Date() },
  },
});
`,
      'src/entities/tag.ts': `import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/** defineEntity alone: MikroORM makes the class. */
export const Tag = defineEntity({
  name: 'Tag',
  properties: {
    id: p.integer().primary(),
    label: p.string().length(40).unique(),
  },
});

export type ITag = InferEntity<typeof Tag>;
`,
      'mikro-orm.config.ts': configC(
        ['User', 'ProjectSchema', 'Tag'],
        `import { ProjectSchema } from './src/entities/project.js';\nimport { Tag } from './src/entities/tag.js';\nimport { User } from './src/entities/user.js';\n`,
      ),
    },
    { 'src/entities/user.ts': defineUser(true) },
  ],
  tables: {
    user: ['id', 'email', 'name', 'age'],
    projects: ['id', 'name', 'owner_id', 'created_at'],
    tag: ['id', 'label'],
  },
  ownerFk: { table: 'projects', from: 'owner_id', to: 'user' },
  referee: 'build/scripts/referee.js',
};

export const APPS = [ESM_APP, NEST_APP, SCHEMA_APP];
