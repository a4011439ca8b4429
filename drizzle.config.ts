import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate` writes the SQL migrations applied at start by src/store.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema.ts',
  out: './drizzle',
});
