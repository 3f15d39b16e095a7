import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { User } from './User.js';

@Entity()
export class Project {
  @PrimaryKey()
  id!: number;

  @Property({ length: 100 })
  name!: string;

  @Property({ type: 'text', nullable: true })
  description?: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  owner!: User;

  @Property()
  createdAt: Date = new Date();
}
