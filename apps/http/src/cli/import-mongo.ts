#!/usr/bin/env node
import { openPostgresSink, runImportMongo } from '@codedispatch/mongo-import';
import { demoConfigDocument } from '../config/demo-config';

/**
 * `npm run import-mongo` (SPEC §9): the import with the service's own
 * configuration: `--config`, else `CODEDISPATCH_CONFIG`, else the built-in
 * demo configuration the service itself runs with when none is given.
 */
void runImportMongo(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  openPostgresSink,
  { name: "the service's built-in demo configuration", document: demoConfigDocument() },
).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`import-mongo: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 3;
  },
);
