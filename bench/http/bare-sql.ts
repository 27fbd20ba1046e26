/*
 * The hot paths of the service, bare: the same SQL statements as
 * KyselyAssignmentRepository (packages/postgres/src/kysely-assignment-repository.ts),
 * sent through a plain pg.Pool, one statement per request, with no DI, no
 * io-ts, no logging and no authentication (the driver is read from the JWT's
 * payload without checking its signature). Shared by bare-express.ts and
 * bare-node.ts, so they differ only in their HTTP layer.
 *
 *   create → the insert-with-fresh-code statement (128 random candidates)
 *   assign → the compare-and-set UPDATE … RETURNING with its change-log
 *            append, outbox row and NOTIFYs (keyed by area and code)
 *   status → one SELECT by order_id
 *   lookup → the UPDATE processing → assigned with its change-log append and NOTIFY
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { generateCandidates } from '@codedispatch/core';
import { ASSIGNMENTS_CHANNEL, CryptoCodeRandom, OUTBOX_CHANNEL, predicates } from '@codedispatch/postgres';
import { CODE_REUSE_COOLDOWN_S, DRIVER_DUE_OFFSET_S, GENERATOR, ORDER_EXPIRE_S } from './config';

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

const plain = predicates();
const aliased = predicates('a.');

/** KyselyAssignmentRepository.insertFirstFree, as compiled (same text, same parameters). */
const INSERT_WITH_FRESH_CODE = `
      with pick as (
        select c.code from unnest($1::text[]) with ordinality as c(code, ord)
        where not exists (
            select 1 from code_dispatch.assignments a
            where a.area_id = $2::text and a.code = c.code and ${aliased.active})
          and not exists (
            select 1 from code_dispatch.assignments a
            where a.area_id = $3::text and a.code = c.code and a.released_at > $4::timestamptz)
        order by c.ord
        limit 1
      ),
      ins as (
        insert into code_dispatch.assignments
          (order_id, area_id, code, status, error_code, driver_id, park_db_id, user_id,
           created_at, updated_at, expires_at, released_at, attempt, legacy, version, changes)
        select $5::text, $6::text, pick.code, $7::text, $8::text,
               $9::text, $10::text, $11::text,
               $12::timestamptz, $13::timestamptz, $14::timestamptz,
               $15::timestamptz, $16::integer, $17::boolean, $18::integer,
               $19::jsonb
        from pick
        on conflict do nothing
        returning *
      ),
      notified as (select pg_notify($20, ins.order_id) from ins)
      select (select count(*) from pick)::integer as picked, i.*
      from (select 1) as one
      left join lateral (select ins.* from ins cross join notified) as i on true`;

/** KyselyAssignmentRepository.applyTransition with an event, keyed by (area, code) in an enterable state. */
const ENTER_CODE = `
        with upd as (
          update code_dispatch.assignments set
            status = 'processing',
            error_code = null,
            driver_id = $3::text,
            park_db_id = $4::text,
            updated_at = $5::timestamptz,
            attempt = attempt + 1,
            version = version + 1,
            changes = changes || $6::jsonb
          where area_id = $1::text and code = $2::text and ${plain.active} and status <> 'processing'
          returning *
        ),
        notified as (select pg_notify($7, upd.order_id) from upd),
        event as (
          insert into code_dispatch.outbox (event_id, order_id, type, payload)
          select $8::uuid, upd.order_id, 'code_dispatch.code_entered',
                 jsonb_build_object('event_id', $9::text, 'type', 'code_dispatch.code_entered', 'order_id', upd.order_id,
                   'area_id', upd.area_id, 'park_db_id', upd.park_db_id, 'driver_id', upd.driver_id,
                   'attempt', upd.attempt, 'occurred_at', $10::text)
          from upd
          returning event_id
        ),
        outbox_notified as (select pg_notify($11, '') from event)
        select upd.* from upd cross join notified cross join (select count(*) from outbox_notified) o`;

/** KyselyAssignmentRepository.findByOrder. */
const FIND_BY_ORDER = 'select * from "code_dispatch"."assignments" where "order_id" = $1';

/** KyselyAssignmentRepository.applyTransition without an event: processing → assigned. */
const ACQUIRED = `
        with upd as (
          update code_dispatch.assignments set
            status = 'assigned',
            updated_at = $2::timestamptz,
            released_at = $2::timestamptz,
            version = version + 1,
            changes = changes || $3::jsonb
          where order_id = $1::text and status = 'processing'
          returning *
        ),
        notified as (select pg_notify($4, upd.order_id) from upd)
        select upd.* from upd cross join notified`;

interface Row {
  readonly order_id: string;
  readonly area_id: string;
  readonly code: string;
  readonly status: string;
  readonly error_code: string | null;
  readonly driver_id: string | null;
  readonly park_db_id: string | null;
  readonly updated_at: Date;
  readonly expires_at: Date;
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);
const str = (u: unknown): string | null => (typeof u === 'string' && u.length > 0 && u.length <= 128 ? u : null);

/** The driver named by a JWT's payload; the signature is not checked (no auth here). */
export const driverOfBearer = (authorization: string | undefined): { parkDbId: string; driverId: string } | null => {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : null;
  const payload = token?.split('.')[1];
  if (payload === undefined) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    if (!isRecord(claims)) return null;
    const parkDbId = str(claims.park_db_id);
    const driverId = str(claims.driver_id);
    return parkDbId !== null && driverId !== null ? { parkDbId, driverId } : null;
  } catch {
    return null;
  }
};

const problem = (status: number, code: string): Answer => ({ status, body: { status, code } });
const BAD_REQUEST = problem(400, 'invalid_request');

const display = (code: string): string => `${code.slice(0, 4)} ${code.slice(4)}`;

export const bareHandlers = (databaseUrl: string) => {
  const pool = new Pool({ connectionString: databaseUrl, max: 10 });
  pool.on('error', () => undefined);
  const random = new CryptoCodeRandom();

  const create = async (body: unknown): Promise<Answer> => {
    if (!isRecord(body)) return BAD_REQUEST;
    const orderId = str(body.order_id);
    const areaId = str(body.area_id);
    if (orderId === null || areaId === null) return BAD_REQUEST;
    const now = new Date();
    const candidates = generateCandidates(GENERATOR, random, 128);
    const changes = JSON.stringify([
      { at: now.toISOString(), from: null, to: 'pending', actor: { kind: 'service', name: 'bench' } },
    ]);
    const { rows } = await pool.query<Row & { picked: number }>(INSERT_WITH_FRESH_CODE, [
      candidates,
      areaId,
      areaId,
      new Date(now.getTime() - CODE_REUSE_COOLDOWN_S * 1000),
      orderId,
      areaId,
      'pending',
      null,
      null,
      null,
      null,
      now,
      now,
      new Date(now.getTime() + ORDER_EXPIRE_S * 1000),
      null,
      0,
      false,
      1,
      changes,
      ASSIGNMENTS_CHANNEL,
    ]);
    const row = rows[0];
    if (row === undefined || row.order_id === null) return problem(409, 'code_space_exhausted_or_race');
    return {
      status: 200,
      body: {
        order_id: row.order_id,
        area_id: row.area_id,
        code: row.code,
        code_display: display(row.code),
        status: row.status,
        expires_at: row.expires_at.toISOString(),
      },
    };
  };

  const assign = async (body: unknown, authorization: string | undefined): Promise<Answer> => {
    const driver = driverOfBearer(authorization);
    if (driver === null) return problem(401, 'unauthorized');
    if (!isRecord(body)) return BAD_REQUEST;
    const areaId = str(body.area_id);
    const code = typeof body.code === 'string' ? body.code.replace(/[\s-]/g, '') : null;
    if (areaId === null || code === null) return BAD_REQUEST;
    const now = new Date();
    const at = now.toISOString();
    const eventId = randomUUID();
    const entry = JSON.stringify([
      {
        at,
        from: 'pending',
        to: 'processing',
        actor: { kind: 'driver', park_db_id: driver.parkDbId, driver_id: driver.driverId },
      },
    ]);
    const { rows } = await pool.query<Row>(ENTER_CODE, [
      areaId,
      code,
      driver.driverId,
      driver.parkDbId,
      now,
      entry,
      ASSIGNMENTS_CHANNEL,
      eventId,
      eventId,
      at,
      OUTBOX_CHANNEL,
    ]);
    const row = rows[0];
    if (row === undefined) return problem(404, 'code_not_found');
    return { status: 200, body: { order_id: row.order_id, status: row.status, updated_at: row.updated_at.toISOString() } };
  };

  const status = async (orderId: string | null, authorization: string | undefined): Promise<Answer> => {
    const driver = driverOfBearer(authorization);
    if (driver === null) return problem(401, 'unauthorized');
    if (orderId === null || orderId === '') return BAD_REQUEST;
    const { rows } = await pool.query<Row>(FIND_BY_ORDER, [orderId]);
    const row = rows[0];
    if (row === undefined || row.park_db_id !== driver.parkDbId || row.driver_id !== driver.driverId) {
      return problem(404, 'assignment_not_found');
    }
    return {
      status: 200,
      body: {
        order_id: row.order_id,
        status: row.status,
        ...(row.error_code !== null ? { error_code: row.error_code } : {}),
        updated_at: row.updated_at.toISOString(),
      },
    };
  };

  const lookup = async (body: unknown): Promise<Answer> => {
    if (!isRecord(body)) return BAD_REQUEST;
    const orderId = str(body.order_id);
    if (orderId === null) return BAD_REQUEST;
    const now = new Date();
    const entry = JSON.stringify([
      { at: now.toISOString(), from: 'processing', to: 'assigned', actor: { kind: 'service', name: 'bench' } },
    ]);
    const { rows } = await pool.query<Row>(ACQUIRED, [orderId, now, entry, ASSIGNMENTS_CHANNEL]);
    const row = rows[0];
    if (row === undefined) return problem(409, 'assignment_not_processing');
    return {
      status: 200,
      body: {
        order_id: row.order_id,
        status: row.status,
        candidate: {
          park_db_id: row.park_db_id,
          driver_id: row.driver_id,
          position: { lat: 55.9726, lon: 37.4146 },
          due: new Date(now.getTime() + DRIVER_DUE_OFFSET_S * 1000).toISOString(),
        },
      },
    };
  };

  return { create, assign, status, lookup, close: () => pool.end() };
};
