import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// A dev-only build of the app over a mocked IPC with a realistic data set (src/preview.tsx), to
// look at the screens in a plain browser. Its output, dist-preview/, is never shipped: ui/dist is
// built from index.html alone by vite.config.ts.
export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist-preview',
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: {
      input: resolve(import.meta.dirname, 'preview.html'),
    },
  },
});
