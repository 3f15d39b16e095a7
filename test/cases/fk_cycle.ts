import { schema, type DiffCase } from './types.ts';

/**
 * Two new tables that reference each other: neither can be created with both FKs, so diff
 * must take one FK out of its `createTable` and add it with `addForeignKey` afterwards.
 */
export default {
  name: 'fk_cycle',
  before: schema(),
  after: schema(
    {
      name: 'author',
      columns: [
        { name: 'id', type: 'integer', primary: true, autoincrement: true },
        { name: 'name', type: 'string', length: 255 },
        { name: 'favorite_book_id', type: 'integer', nullable: true },
      ],
      indexes: [{ name: 'author_favorite_book_id_index', columns: ['favorite_book_id'] }],
      foreignKeys: [
        { name: 'author_favorite_book_id_foreign', columns: ['favorite_book_id'], referencedTable: 'book', referencedColumns: ['id'], onDelete: 'set null' },
      ],
    },
    {
      name: 'book',
      columns: [
        { name: 'id', type: 'integer', primary: true, autoincrement: true },
        { name: 'title', type: 'string', length: 255 },
        { name: 'author_id', type: 'integer' },
      ],
      indexes: [{ name: 'book_author_id_index', columns: ['author_id'] }],
      foreignKeys: [
        { name: 'book_author_id_foreign', columns: ['author_id'], referencedTable: 'author', referencedColumns: ['id'], onDelete: 'cascade' },
      ],
    },
  ),
} satisfies DiffCase;
