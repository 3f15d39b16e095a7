import { schema, type DiffCase } from './types.ts';
import { user } from './tables.ts';

/**
 * Two new tables: `order` (a reserved word) with every column type, single, composite and
 * unique indexes, FKs with onDelete cascade / set null, literal and raw defaults; and
 * `line_item` (composite primary key) whose FK points at `order`: it sorts before its
 * parent by name, so diff must still create `order` first.
 */
export default {
  name: 'create_table',
  before: schema(user),
  after: schema(
    {
      name: 'line_item',
      columns: [
        { name: 'order_id', type: 'uuid', primary: true },
        { name: 'line_no', type: 'integer', primary: true },
        { name: 'sku', type: 'string', length: 64 },
        { name: 'quantity', type: 'integer', default: 1 },
      ],
      indexes: [],
      foreignKeys: [
        { name: 'line_item_order_id_foreign', columns: ['order_id'], referencedTable: 'order', referencedColumns: ['id'], onDelete: 'cascade' },
      ],
    },
    {
      name: 'order',
      columns: [
        { name: 'id', type: 'uuid', primary: true },
        { name: 'code', type: 'string', length: 32 },
        { name: 'label', type: 'string', length: 255, default: 'n/a' },
        { name: 'notes', type: 'text', nullable: true },
        { name: 'quantity', type: 'integer', default: 1 },
        { name: 'priority', type: 'smallint', default: 0 },
        { name: 'big_total', type: 'bigint', nullable: true },
        { name: 'ratio', type: 'float', nullable: true },
        { name: 'score', type: 'double', default: 0.5 },
        { name: 'amount', type: 'decimal', precision: 12, scale: 2, default: 0 },
        { name: 'paid', type: 'boolean', default: false },
        { name: 'gift', type: 'boolean', default: true },
        { name: 'created_at', type: 'datetime', defaultRaw: 'current_timestamp' },
        { name: 'ship_date', type: 'date', nullable: true },
        { name: 'ship_time', type: 'time', nullable: true },
        { name: 'meta', type: 'json', nullable: true },
        { name: 'status', type: 'enum', items: ['new', 'paid', 'shipped'], default: 'new' },
        { name: 'attachment', type: 'blob', nullable: true },
        { name: 'customer_id', type: 'integer' },
        { name: 'coupon_by_id', type: 'integer', nullable: true },
      ],
      indexes: [
        { name: 'order_code_unique', columns: ['code'], unique: true },
        { name: 'order_customer_id_index', columns: ['customer_id'] },
        { name: 'order_status_created_at_index', columns: ['status', 'created_at'] },
      ],
      foreignKeys: [
        { name: 'order_coupon_by_id_foreign', columns: ['coupon_by_id'], referencedTable: 'user', referencedColumns: ['id'], onDelete: 'set null' },
        { name: 'order_customer_id_foreign', columns: ['customer_id'], referencedTable: 'user', referencedColumns: ['id'], onDelete: 'cascade' },
      ],
    },
    user,
  ),
} satisfies DiffCase;
