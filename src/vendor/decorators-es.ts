// Re-exported from tidemark's bundle, so user entities and tidemark share one MikroORM.
export * from '@mikro-orm/decorators/es';
