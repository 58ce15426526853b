import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The app as Tauri loads it from ui/dist: relative asset paths, no inline scripts (the CSP has no
// 'unsafe-inline' for scripts), no dev server (tauri.conf.json has no devUrl).
export default defineConfig({
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Inlined modules would become data: URLs, which the CSP's script-src 'self' refuses.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
  },
});
