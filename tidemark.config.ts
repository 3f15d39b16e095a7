import { defineConfig } from 'tidemark';

export default defineConfig({
  entities: ['./entities/*.ts'],
  migrations: './migrations',
  url: 'sqlite:./webdemo.db',
});
