/*
 * The hot paths done bare: what the service is compared with. Each path does
 * its job in the fewest plain statements, on a table of its own (BARE_SCHEMA,
 * not the service's migrations), through one pg.Pool of 10 connections (the
 * service's default):
 *
 *   create → one INSERT of a random code, ON CONFLICT DO NOTHING … RETURNING
 *            (a new code and another try on the rare conflict)
 *   assign → one UPDATE … RETURNING of the pending row with that area and code:
 *            processing, with the driver
 *   status → one SELECT by order_id (the driver must be the order's)
 *   lookup → one UPDATE processing → assigned … RETURNING
 *
 * Like the service, they check credentials (the service token's SHA-256
 * compared in constant time; the driver's JWT verified with jose, HS256, with
 * a WebCrypto key imported once at start), validate the JSON body and the
 * code's check digit, and answer JSON.
 * They keep no change log, write no outbox row and send no NOTIFY: the ratio
 * to the service is the price of its shell and of its SQL together.
 * Shared by bare-express.ts and bare-node.ts, which differ only in their HTTP layer.
 */
import { createHash, randomInt, timingSafeEqual, webcrypto } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { jwtVerify } from 'jose';
import { Pool } from 'pg';
import { parseCode } from '@codedispatch/core';
import { generateCandidates } from '@codedispatch/core/adapter';
import { AREA, DRIVER_DUE_OFFSET_S, GENERATOR, JWT_SECRET, ORDER_EXPIRE_S, SERVICE_TOKEN } from './config';

/** The bare servers' whole schema (created in their own scratch database). */
export const BARE_SCHEMA = `
  create table orders (
    order_id   text primary key,
    area_id    text not null,
    code       text not null,
    status     text not null,
    park_db_id text,
    driver_id  text,
    updated_at timestamptz not null default now(),
    expires_at timestamptz not null
  );
  create unique index orders_active_code on orders (area_id, code) where status in ('pending', 'processing');`;

const INSERT = `insert into orders (order_id, area_id, code, status, expires_at) values ($1, $2, $3, 'pending', $4)
  on conflict do nothing returning order_id, area_id, code, status, expires_at`;
const ENTER = `update orders set status = 'processing', park_db_id = $3, driver_id = $4, updated_at = now()
  where area_id = $1 and code = $2 and status = 'pending' returning order_id, status, updated_at`;
const STATUS = 'select order_id, status, park_db_id, driver_id, updated_at from orders where order_id = $1';
const ACQUIRED = `update orders set status = 'assigned', updated_at = now()
  where order_id = $1 and status = 'processing' returning order_id, status, park_db_id, driver_id`;

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

const problem = (status: number, code: string): Answer => ({ status, body: { status, code } });
const UNAUTHORIZED = problem(401, 'unauthorized');
const BAD_REQUEST = problem(400, 'invalid_request');

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);
const id = (u: unknown): string | null => (typeof u === 'string' && u.length > 0 && u.length <= 128 ? u : null);
const bearer = (authorization: string | undefined): string | null =>
  authorization?.startsWith('Bearer ') === true ? authorization.slice(7) : null;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
const SERVICE_DIGEST = digest(SERVICE_TOKEN);
/** Imported once: jose verifies with it directly (a KeyObject or raw bytes would be imported on every call). */
const JWT_KEY = webcrypto.subtle.importKey('raw', Buffer.from(JWT_SECRET, 'utf8'), { name: 'HMAC', hash: 'SHA-256' }, false, [
  'verify',
]);

const isService = (authorization: string | undefined): boolean => {
  const token = bearer(authorization);
  return token !== null && timingSafeEqual(digest(token), SERVICE_DIGEST);
};

const driverOf = async (authorization: string | undefined): Promise<{ park: string; driver: string } | null> => {
  const token = bearer(authorization);
  if (token === null) return null;
  try {
    const { payload } = await jwtVerify(token, await JWT_KEY, { algorithms: ['HS256'], requiredClaims: ['exp'] });
    const park = id(payload.park_db_id);
    const driver = id(payload.driver_id);
    return park !== null && driver !== null ? { park, driver } : null;
  } catch {
    return null;
  }
};

const random = { int: (bound: number) => randomInt(bound) };

export const bareHandlers = (databaseUrl: string) => {
  const pool = new Pool({ connectionString: databaseUrl, max: 10 });
  pool.on('error', () => undefined);

  const create = async (authorization: string | undefined, body: unknown): Promise<Answer> => {
    if (!isService(authorization)) return UNAUTHORIZED;
    if (!isRecord(body)) return BAD_REQUEST;
    const orderId = id(body.order_id);
    if (orderId === null || id(body.area_id) === null) return BAD_REQUEST;
    if (body.area_id !== AREA) return problem(404, 'area_not_found');
    const expires = new Date(Date.now() + ORDER_EXPIRE_S * 1000);
    for (let attempt = 0; attempt < 4; attempt++) {
      const code = generateCandidates(GENERATOR, random, 1)[0] as string;
      const { rows } = await pool.query<{ order_id: string; area_id: string; code: string; status: string; expires_at: Date }>(
        INSERT,
        [orderId, AREA, code, expires],
      );
      const row = rows[0];
      if (row !== undefined) {
        const { order_id, area_id, status } = row;
        const code_display = `${row.code.slice(0, 4)} ${row.code.slice(4)}`;
        return { status: 200, body: { order_id, area_id, code: row.code, code_display, status, expires_at: row.expires_at } };
      }
    }
    return problem(409, 'conflict');
  };

  const assign = async (authorization: string | undefined, body: unknown): Promise<Answer> => {
    const who = await driverOf(authorization);
    if (who === null) return UNAUTHORIZED;
    if (!isRecord(body) || id(body.area_id) === null || typeof body.code !== 'string') return BAD_REQUEST;
    const code = parseCode(GENERATOR, body.code);
    if (E.isLeft(code)) return problem(400, 'invalid_code');
    const { rows } = await pool.query<{ order_id: string; status: string; updated_at: Date }>(ENTER, [
      body.area_id,
      code.right,
      who.park,
      who.driver,
    ]);
    return rows[0] === undefined ? problem(404, 'code_not_found') : { status: 200, body: rows[0] };
  };

  const status = async (authorization: string | undefined, orderId: string | null): Promise<Answer> => {
    const who = await driverOf(authorization);
    if (who === null) return UNAUTHORIZED;
    if (id(orderId) === null) return BAD_REQUEST;
    const { rows } = await pool.query<{
      order_id: string;
      status: string;
      park_db_id: string;
      driver_id: string;
      updated_at: Date;
    }>(STATUS, [orderId]);
    const row = rows[0];
    if (row === undefined || row.park_db_id !== who.park || row.driver_id !== who.driver)
      return problem(404, 'assignment_not_found');
    return { status: 200, body: { order_id: row.order_id, status: row.status, updated_at: row.updated_at } };
  };

  const lookup = async (authorization: string | undefined, body: unknown): Promise<Answer> => {
    if (!isService(authorization)) return UNAUTHORIZED;
    const orderId = isRecord(body) ? id(body.order_id) : null;
    if (orderId === null) return BAD_REQUEST;
    const { rows } = await pool.query<{ order_id: string; status: string; park_db_id: string; driver_id: string }>(ACQUIRED, [
      orderId,
    ]);
    const row = rows[0];
    if (row === undefined) return problem(409, 'assignment_not_processing');
    const due = new Date(Date.now() + DRIVER_DUE_OFFSET_S * 1000);
    const candidate = { park_db_id: row.park_db_id, driver_id: row.driver_id, due };
    return { status: 200, body: { order_id: row.order_id, status: row.status, candidate } };
  };

  return { create, assign, status, lookup, close: () => pool.end() };
};
