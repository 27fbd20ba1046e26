import { createHash, timingSafeEqual, webcrypto } from 'node:crypto';
import * as E from 'fp-ts/Either';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { driver, isIdentifier, type Driver } from '@codedispatch/core';
import type { AuthSettings, DriverJwtSettings, ServiceConfigSource } from '../config/service-config';
import type { HttpFailure } from './problem';

/*
 * Who is calling (SPEC §6). Service endpoints take a service token; driver
 * endpoints take a driver JWT, or the gateway token with both identity
 * headers. Missing or invalid credentials → 401; valid credentials of the
 * wrong kind → 403. Operations endpoints take an operator token; any other
 * valid credential there → 403. Tokens are compared as SHA-256 digests with
 * `timingSafeEqual`, against every configured token, so neither the length
 * nor the position of a match shows in the timing. Tokens are never logged.
 */

export type CallerKind = 'service' | 'driver' | 'operator';

export type Caller =
  | { readonly kind: 'service'; readonly name: string }
  | { readonly kind: 'operator'; readonly name: string }
  | { readonly kind: 'driver'; readonly driver: Driver; readonly via: 'jwt' | 'gateway' };

export interface CredentialHeaders {
  readonly authorization?: string | undefined;
  readonly parkId?: string | undefined;
  readonly driverProfileId?: string | undefined;
}

/** Asymmetric algorithms accepted from a JWKS (HS256 is only for the configured secret). */
const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Digests of the configured tokens, computed once per configuration object. */
interface TokenTable {
  readonly services: readonly { readonly name: string; readonly digest: Buffer }[];
  readonly operators: readonly { readonly name: string; readonly digest: Buffer }[];
  readonly gateway: Buffer | null;
}

/** The name of the first entry whose digest is the presented one; every entry is compared, always (no early exit). */
const matchOf = (presented: Buffer, entries: TokenTable['services']): string | null => {
  let name: string | null = null;
  for (const entry of entries) {
    if (timingSafeEqual(presented, entry.digest) && name === null) name = entry.name;
  }
  return name;
};

const unauthorized = (detail: string, presented: boolean): HttpFailure => ({
  code: 'unauthorized',
  detail,
  headers: {
    'WWW-Authenticate': presented ? 'Bearer realm="codedispatch", error="invalid_token"' : 'Bearer realm="codedispatch"',
  },
});

const forbidden = (detail: string): HttpFailure => ({ code: 'forbidden', detail });

/** Verified driver tokens remembered (a token is a few hundred bytes). */
const VERIFIED_TOKENS = 20_000;

/** Clocks of the issuer and of this service may differ by this much. */
const CLOCK_TOLERANCE_S = 60;

/**
 * A token that lives longer than `maxTtlS` is refused, counted both from now
 * (`exp` in the year 9999, or in milliseconds by mistake) and, when given, from
 * `iat`: a driver token that never expires is as good as a password.
 */
const lifetimeProblem = (payload: Record<string, unknown>, maxTtlS: number, nowS: number): string | null => {
  const { exp, iat } = payload;
  const longest = maxTtlS + CLOCK_TOLERANCE_S;
  const tooLong = typeof exp !== 'number' || exp - nowS > longest || (typeof iat === 'number' && exp - iat > longest);
  return tooLong
    ? `The token lives too long: driver tokens may expire at most ${maxTtlS} s after they are issued (auth.driver_jwt.max_ttl_s).`
    : null;
};

export class Authenticator {
  private readonly tables = new WeakMap<AuthSettings, TokenTable>();
  private readonly jwks = new Map<string, JWTVerifyGetKey>();
  private readonly hmacKeys = new Map<string, Promise<webcrypto.CryptoKey>>();
  /**
   * Driver tokens already verified, per JWT settings object (a reload that
   * changes the secret starts afresh), each kept until its `exp`. A driver app
   * sends one token with every status poll; verifying it again each time was
   * a fifth of a status request's CPU (jose verifies through WebCrypto).
   */
  private readonly verified = new WeakMap<DriverJwtSettings, LRUCache<string, Driver>>();

  constructor(private readonly config: ServiceConfigSource) {}

  async authenticate(headers: CredentialHeaders, needed: CallerKind): Promise<E.Either<HttpFailure, Caller>> {
    const match = BEARER.exec(headers.authorization ?? '');
    if (headers.authorization === undefined || headers.authorization === '') {
      return E.left(unauthorized('Authorization: Bearer credentials are required.', false));
    }
    if (match === null) return E.left(unauthorized('The Authorization header is not a Bearer token.', true));
    const token = match[1] as string;
    const auth = this.config.current().auth;
    const table = this.tableOf(auth);
    const presented = digest(token);
    // Compare against every token, always: no early exit.
    const service = matchOf(presented, table.services);
    const operator = matchOf(presented, table.operators);
    const gateway = table.gateway !== null && timingSafeEqual(presented, table.gateway);

    if (needed === 'operator') {
      if (operator !== null) return E.right({ kind: 'operator', name: operator });
      if (service !== null || gateway || E.isRight(await this.verifyDriverJwt(token, auth)))
        return E.left(forbidden('Only an operator token (auth.operator_tokens) may call an operations endpoint.'));
      return E.left(unauthorized('The token is not valid.', true));
    }

    if (needed === 'service') {
      if (service !== null) return E.right({ kind: 'service', name: service });
      if (gateway) return E.left(unauthorized('The gateway token is valid only on driver endpoints.', true));
      if (operator !== null) return E.left(forbidden('An operator token cannot call a service endpoint.'));
      if (E.isRight(await this.verifyDriverJwt(token, auth)))
        return E.left(forbidden('A driver token cannot call a service endpoint.'));
      return E.left(unauthorized('The token is not valid.', true));
    }

    if (gateway) {
      const { parkId, driverProfileId } = headers;
      if (parkId === undefined || driverProfileId === undefined) {
        return E.left(unauthorized('The gateway token needs both X-Park-Id and X-Driver-Profile-Id.', true));
      }
      if (!isIdentifier(parkId) || !isIdentifier(driverProfileId)) {
        return E.left(
          unauthorized('X-Park-Id and X-Driver-Profile-Id must be ids of 1..128 characters without control characters.', true),
        );
      }
      return E.right({ kind: 'driver', driver: driver(parkId, driverProfileId), via: 'gateway' });
    }
    if (service !== null) return E.left(forbidden('A service token cannot call a driver endpoint.'));
    if (operator !== null) return E.left(forbidden('An operator token cannot call a driver endpoint.'));
    const fromJwt = await this.verifyDriverJwt(token, auth);
    return E.isLeft(fromJwt)
      ? E.left(unauthorized(fromJwt.left, true))
      : E.right({ kind: 'driver', driver: fromJwt.right, via: 'jwt' });
  }

  private tableOf(auth: AuthSettings): TokenTable {
    const cached = this.tables.get(auth);
    if (cached !== undefined) return cached;
    const table: TokenTable = {
      services: Object.entries(auth.serviceTokens).map(([name, token]) => ({ name, digest: digest(token) })),
      operators: Object.entries(auth.operatorTokens).map(([name, token]) => ({ name, digest: digest(token) })),
      gateway: auth.gatewayToken === null ? null : digest(auth.gatewayToken),
    };
    this.tables.set(auth, table);
    return table;
  }

  /**
   * The driver of a valid JWT (signature, `exp` required and in the future,
   * audience/issuer if set, a lifetime within `max_ttl_s`), else why not.
   */
  private async verifyDriverJwt(token: string, auth: AuthSettings): Promise<E.Either<string, Driver>> {
    const settings = auth.driverJwt;
    if (settings === null) return E.left('The token is not valid.');
    const cache = this.verifiedOf(settings);
    const known = cache.get(token);
    if (known !== undefined) return E.right(known);
    const result = await this.verifyAnew(token, settings);
    if (E.isLeft(result)) return result;
    const ttl = result.right.expS * 1000 - Date.now();
    if (ttl > 0) cache.set(token, result.right.driver, { ttl });
    return E.right(result.right.driver);
  }

  private verifiedOf(settings: DriverJwtSettings): LRUCache<string, Driver> {
    let cache = this.verified.get(settings);
    if (cache === undefined) {
      cache = new LRUCache<string, Driver>({ max: VERIFIED_TOKENS });
      this.verified.set(settings, cache);
    }
    return cache;
  }

  private async verifyAnew(
    token: string,
    settings: DriverJwtSettings,
  ): Promise<E.Either<string, { readonly driver: Driver; readonly expS: number }>> {
    const invalid = E.left('The token is not valid.');
    if (token.split('.').length !== 3) return invalid;
    const options = {
      requiredClaims: ['exp'],
      ...(settings.audience !== null ? { audience: settings.audience } : {}),
      ...(settings.issuer !== null ? { issuer: settings.issuer } : {}),
    };
    let payload: Record<string, unknown>;
    try {
      ({ payload } =
        settings.hs256Secret !== null
          ? await jwtVerify(token, await this.hmacKeyOf(settings.hs256Secret), { ...options, algorithms: ['HS256'] })
          : settings.jwksUrl !== null
            ? await jwtVerify(token, this.jwksOf(settings.jwksUrl), { ...options, algorithms: JWKS_ALGORITHMS })
            : { payload: {} });
    } catch {
      return invalid; // expired, bad signature, malformed, JWKS unreachable: all invalid credentials
    }
    const tooLong = lifetimeProblem(payload, settings.maxTtlS, Date.now() / 1000);
    if (tooLong !== null) return E.left(tooLong);
    const { park_db_id: parkDbId, driver_id: driverId } = payload;
    if (typeof parkDbId !== 'string' || typeof driverId !== 'string' || !isIdentifier(parkDbId) || !isIdentifier(driverId))
      return invalid;
    return E.right({ driver: driver(parkDbId, driverId), expS: Number(payload.exp) });
  }

  /**
   * The HS256 key, imported once per secret as a WebCrypto key: given raw
   * bytes, jose would import a new key on every request (measured: a seventh
   * of a status call), and given a node KeyObject it converts it on every
   * request (a tenth of an assign's CPU with a new token each time).
   */
  private hmacKeyOf(secret: string): Promise<webcrypto.CryptoKey> {
    let key = this.hmacKeys.get(secret);
    if (key === undefined) {
      key = webcrypto.subtle.importKey('raw', Buffer.from(secret, 'utf8'), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      this.hmacKeys.clear(); // only the secret in force is worth keeping
      this.hmacKeys.set(secret, key);
    }
    return key;
  }

  private jwksOf(url: string): JWTVerifyGetKey {
    let set = this.jwks.get(url);
    if (set === undefined) {
      set = createRemoteJWKSet(new URL(url), { timeoutDuration: 2000, cooldownDuration: 30_000 });
      this.jwks.set(url, set);
    }
    return set;
  }
}
