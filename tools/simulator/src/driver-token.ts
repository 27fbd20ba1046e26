import { createHmac } from 'node:crypto';

/*
 * Drivers' JWTs (HS256, claims park_db_id, driver_id, iat, exp), as the
 * driver app would present them, signed with `auth.driver_jwt.hs256_secret`.
 * Kept per driver and minted again shortly before they expire.
 */

const b64url = (s: string): string => Buffer.from(s).toString('base64url');
const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

export const signDriverJwt = (secret: string, parkDbId: string, driverId: string, ttlS: number, nowS: number): string => {
  const payload = b64url(JSON.stringify({ park_db_id: parkDbId, driver_id: driverId, iat: nowS, exp: nowS + ttlS }));
  const signature = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${signature}`;
};

/** One hour: within any `auth.driver_jwt.max_ttl_s` a deployment is likely to set. */
const TTL_S = 3_600;
const RENEW_BEFORE_S = 300;

export class DriverTokens {
  private readonly tokens = new Map<string, { readonly jwt: string; readonly exp: number }>();

  constructor(private readonly secret: string) {}

  of(parkDbId: string, driverId: string): string {
    const key = `${parkDbId}/${driverId}`;
    const nowS = Math.floor(Date.now() / 1000);
    const kept = this.tokens.get(key);
    if (kept !== undefined && kept.exp - nowS > RENEW_BEFORE_S) return kept.jwt;
    const jwt = signDriverJwt(this.secret, parkDbId, driverId, TTL_S, nowS);
    this.tokens.set(key, { jwt, exp: nowS + TTL_S });
    return jwt;
  }
}
