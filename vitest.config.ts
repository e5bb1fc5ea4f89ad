import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // two cores: the Wechaty mock and SQLite files are per test file, so files may run side by side
    maxWorkers: 2,
  },
});
