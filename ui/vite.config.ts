import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// The app loads ui/dist from the binary (tauri.conf.json frontendDist): no dev server, no
// remote code. Component tests (vitest, jsdom) run the same sources.
export default defineConfig(({ mode }) => ({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari16",
    // No inline scripts or styles, so the CSP needs no 'unsafe-inline'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["src/test-setup.ts"],
    // Each test and hook is bounded (the slowest test takes about 1.2 s), so a hung one fails
    // naming itself; the Makefile bounds the whole run (.ci/bounded.sh).
    testTimeout: 15_000,
    hookTimeout: 15_000,
    teardownTimeout: 10_000,
  },
  // Svelte's browser build (mount, not SSR) under vitest.
  resolve: mode === "test" ? { conditions: ["browser"] } : undefined,
}));
