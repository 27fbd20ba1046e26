#!/usr/bin/env node
import { openApiDocument } from '../http/openapi';

/**
 * Prints the service's OpenAPI document, as `GET /openapi.json` serves it
 * (`npm run lint` lints what this prints).
 */
process.stdout.write(`${JSON.stringify(openApiDocument(), null, 2)}\n`);
