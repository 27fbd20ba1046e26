import type { Passenger } from './actors';
import { ServiceClient } from './client';
import type { FinalOutcome, PassengerRecord, RequestRecord } from './records';
import type { Credentials } from './service-config';
import { sleep } from './time';

/*
 * After the run: every passenger's record as the service has it (GET
 * /v1/assignments/{order_id}), the word that counts on how he ended.
 */

const VERIFY_CONCURRENCY = 8;

export interface Verified {
  readonly outcome: FinalOutcome;
  readonly status: string;
}

/** Every passenger's record as the service has it now (GET /v1/assignments/{order_id}). */
export const verifyPassengers = async (
  urls: readonly string[],
  credentials: Credentials,
  passengers: readonly Passenger[],
  now: () => number,
  record: (r: RequestRecord) => void,
): Promise<Map<string, Verified>> => {
  const client = new ServiceClient({ urls, signal: new AbortController().signal, now, record });
  const finals = new Map<string, Verified>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < passengers.length) {
      const p = passengers[next++] as Passenger;
      finals.set(p.orderId, await readFinal(client, credentials, p.orderId));
    }
  };
  await Promise.all(Array.from({ length: VERIFY_CONCURRENCY }, worker));
  return finals;
};

const readFinal = async (client: ServiceClient, credentials: Credentials, orderId: string): Promise<Verified> => {
  let last = 'no answer';
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = await client.request({
      actor: 'verifier',
      method: 'GET',
      path: `/v1/assignments/${encodeURIComponent(orderId)}`,
      route: '/v1/assignments/{order_id}',
      token: credentials.serviceToken,
      timeoutMs: 5_000,
      orderId,
    });
    if (answer.kind === 'answered') {
      const { status, body } = answer;
      if (status === 404) return { outcome: 'not_created', status: 'not found' };
      if (status === 200) {
        const s = String(body?.status);
        const code = typeof body?.error_code === 'string' ? body.error_code : null;
        const shown = code === null ? s : `${s}/${code}`;
        if (s === 'assigned') return { outcome: 'assigned', status: shown };
        if (s === 'error' && code === 'order_cancelled') return { outcome: 'cancelled', status: shown };
        if (s === 'error' && code === 'expired') return { outcome: 'expired', status: shown };
        return { outcome: 'unfinished', status: shown };
      }
      last = `HTTP ${status}`;
    } else last = answer.kind;
    await sleep(500);
  }
  return { outcome: 'unknown', status: last };
};

export const passengerRecord = (p: Passenger, verified: Verified | undefined): PassengerRecord => ({
  orderId: p.orderId,
  areaId: p.areaId,
  arrivedAt: p.arrivedAt,
  code: p.code,
  cancelAt: p.cancelAt,
  clientOutcome: p.outcome ?? 'unfinished',
  finalOutcome: verified?.outcome ?? 'unknown',
  finalStatus: verified?.status ?? 'not read',
  driverId: p.driverId,
  entryToAssignedMs: p.entryToAssignedMs,
  assignedAt: p.assignedAt,
  entries: p.entries,
});
