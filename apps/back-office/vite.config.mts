import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Preact through the built-in JSX transform (no plugin); in development /api goes to the API (npm start).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { port: 5173, proxy: { '/api': process.env.API_URL ?? 'http://localhost:3000' } },
});
