#!/usr/bin/env node
import { runImportMongo } from './command';
import { openPostgresSink } from './postgres-sink';

/** `import-mongo` (SPEC §9): see `USAGE` in command.ts and docs/migration-from-mongo.md. */
void runImportMongo(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  openPostgresSink,
).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`import-mongo: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 3;
  },
);
