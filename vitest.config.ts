// Test runner settings: tests sit beside their code (*.test.ts) and end-to-end runs live in tests/.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Spawned `ocrflow` processes run the sources under test, never a stale dist/ build.
    env: { OCRFLOW_FROM_SOURCE: "1" },
  },
});
