/*
 * The benchmark's configuration: the service's configuration document, the
 * constants the bare servers share with it, and driver JWTs.
 */
import { createHmac } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { decodeConfig, formatConfigIssues, splitConfigDocument, type GeneratorSettings } from '@codedispatch/core';

// ------------------------------------------------------------ configuration

export const AREA = 'bench';
export const PARK = 'pbench';
export const SERVICE_TOKEN = 'bench-service-token-0123456789abcdef';
export const JWT_SECRET = 'bench-driver-jwt-secret-0123456789abcdef';
const WEBHOOK_SECRET = 'bench-webhook-secret';
export const ORDER_EXPIRE_S = 86_400;
const CODE_REUSE_COOLDOWN_S = 3_600;
export const DRIVER_DUE_OFFSET_S = 120;

/**
 * The service's configuration for the benchmarks: one area with 8-character
 * codes (10^7 of them, so seeds and creates never run short), timeouts far
 * beyond a run, an attempt limit that cannot trigger, the memory tracker
 * (every lookup acquires its driver), and a webhook sink pointing at
 * bench/http/sink.ts, so no lookup runs by itself after an assign and the
 * outbox relay does the work it does in production: one delivery per event.
 */
export const benchConfigDocument = (sinkUrl: string): Record<string, unknown> => ({
  processing_enabled: true,
  generator: { length: 8, alphabet: '0123456789', check_digit: 'damm', group: [4, 4], forbid_trivial: true },
  experiment: { enabled: true, areas: [AREA], rollout_percent: 100, deny_users: [] },
  areas: {
    [AREA]: {
      enabled: true,
      instructions: { en: 'Tell this code to the driver of the first car in the queue' },
      order_expire_s: ORDER_EXPIRE_S,
      processing_timeout_s: 86_400,
      driver_due_offset_s: DRIVER_DUE_OFFSET_S,
      max_failed_attempts: 1_000_000,
      attempts_window_s: 1,
      code_reuse_cooldown_s: CODE_REUSE_COOLDOWN_S,
    },
  },
  auth: { service_tokens: { bench: SERVICE_TOKEN }, driver_jwt: { hs256_secret: JWT_SECRET } },
  tracker: { kind: 'memory' },
  processing_queue: { sink: 'webhook', webhook_url: sinkUrl, webhook_secret: WEBHOOK_SECRET, max_attempts: 3 },
});

// The bare servers need the generator only: the domain's part of the document.
const decoded = decodeConfig(splitConfigDocument(benchConfigDocument('http://127.0.0.1:9/')).domain);
if (E.isLeft(decoded)) throw new Error(`bench configuration invalid:\n${formatConfigIssues(decoded.left)}`);
/** The area's code generator (also used by the bare servers to draw candidates). */
export const GENERATOR: GeneratorSettings = decoded.right.generator;

// ---------------------------------------------------------------- driver JWT

const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');
const JWT_HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/** An HS256 driver token as the driver app would present it (claims park_db_id, driver_id, exp). */
export const driverJwt = (driverId: string, ttlS = 3_600, parkDbId = PARK): string => {
  const now = Math.floor(Date.now() / 1000);
  const payload = b64url(JSON.stringify({ park_db_id: parkDbId, driver_id: driverId, iat: now, exp: now + ttlS }));
  const signature = createHmac('sha256', JWT_SECRET).update(`${JWT_HEADER}.${payload}`).digest('base64url');
  return `${JWT_HEADER}.${payload}.${signature}`;
};
