import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { driver } from '@codedispatch/core';
import {
  asDriver,
  driverJwt,
  expectStatus,
  GATEWAY_TOKEN,
  JWT_SECRET,
  newOrderId,
  PROCESSING_TOKEN,
  SERVICE_TOKEN,
  service,
  startInstance,
  testDocument,
  type Instance,
} from '../__tests__/harness';

const anna = driver('park1', 'anna');
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('credentials', () => {
  let inst: Instance;
  beforeAll(async () => {
    inst = await startInstance({ background: false });
  });
  afterAll(() => inst.close());

  /** A service endpoint: 404 for an unknown order means the credentials were accepted. */
  const asService = (headers: Record<string, string>) => inst.get(`/v1/assignments/${newOrderId()}`).set(headers);
  /** A driver endpoint: likewise. */
  const asDriverCall = (headers: Record<string, string>) =>
    inst.get('/v1/assignment/status').query({ order_id: newOrderId() }).set(headers);
  const expectService = (headers: Record<string, string>, code: number) => expectStatus(asService(headers), code);
  const expectDriverCall = (headers: Record<string, string>, code: number) => expectStatus(asDriverCall(headers), code);

  describe('on service endpoints', () => {
    it('accept every configured service token (Bearer scheme in any case)', async () => {
      await expectService(bearer(SERVICE_TOKEN), 404);
      await expectService(bearer(PROCESSING_TOKEN), 404);
      await expectService({ Authorization: `bearer ${SERVICE_TOKEN}` }, 404);
    });

    it.each([
      ['no Authorization header', {}],
      ['another scheme', { Authorization: `Basic ${Buffer.from(`x:${SERVICE_TOKEN}`).toString('base64')}` }],
      ['an empty bearer', { Authorization: 'Bearer ' }],
      ['an unknown token', bearer('not-a-token')],
      ['a token one character off', bearer(`${SERVICE_TOKEN.slice(0, -1)}x`)],
      ['a prefix of a token', bearer(SERVICE_TOKEN.slice(0, 10))],
      ['the gateway token', bearer(GATEWAY_TOKEN)],
    ])('refuse %s with 401 and a Bearer challenge', async (_what, headers) => {
      const res = await expectService(headers, 401);
      expect(res.body).toMatchObject({ code: 'unauthorized', status: 401 });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    });

    it('refuse the gateway token even with the gateway headers (401)', async () => {
      await expectService({ ...bearer(GATEWAY_TOKEN), 'X-Park-Id': 'p', 'X-Driver-Profile-Id': 'd' }, 401);
    });

    it('refuse a valid driver JWT with 403', async () => {
      const res = await expectService(await asDriver(anna), 403);
      expect(res.body.code).toBe('forbidden');
    });

    it('check credentials before the request shape', async () => {
      await expectStatus(inst.post('/v1/drivers-lookup').set('Content-Type', 'text/plain').send('nonsense'), 401);
      await expectStatus(
        inst
          .post('/v1/drivers-lookup')
          .set(await asDriver(anna))
          .send({}),
        403,
      );
    });
  });

  describe('on driver endpoints', () => {
    it('accept a valid JWT and the gateway with both headers', async () => {
      await expectDriverCall(await asDriver(anna), 404);
      await expectDriverCall({ ...bearer(GATEWAY_TOKEN), 'X-Park-Id': 'park1', 'X-Driver-Profile-Id': 'anna' }, 404);
    });

    it.each([
      ['expired', { expiresInS: -60 }],
      ['without exp', { expiresInS: null }],
      ['signed with another secret', { secret: 'another-secret-0123456789abcdef-0123456789' }],
      ['without driver_id', { claims: { driver_id: undefined } }],
      ['with a numeric park_db_id', { claims: { park_db_id: 42 } }],
      ['with a control character in driver_id', { claims: { driver_id: 'an\nna' } }],
      ['with an empty park_db_id', { claims: { park_db_id: '' } }],
    ])('refuse a JWT %s (401)', async (_what, options) => {
      const res = await expectDriverCall(bearer(await driverJwt(anna, options)), 401);
      expect(res.body.code).toBe('unauthorized');
      expect(res.body).not.toHaveProperty('message');
    });

    it.each([
      ['expiring in the year 9999', { expiresInS: 253_402_300_799 - Math.floor(Date.now() / 1000) }],
      ['with exp in milliseconds', { expiresInS: null, claims: { exp: Date.now() + 3_600_000 } }],
      ['living a year', { expiresInS: 365 * 86_400 }],
      ['issued 30 days before it expires', { claims: { iat: Math.floor(Date.now() / 1000) - 30 * 86_400 } }],
    ])('refuse a JWT %s: longer than auth.driver_jwt.max_ttl_s (401, saying so)', async (_what, options) => {
      const res = await expectDriverCall(bearer(await driverJwt(anna, options)), 401);
      expect(res.body).toMatchObject({ code: 'unauthorized', detail: expect.stringContaining('max_ttl_s') });
      expect(res.body.detail).toContain('86400 s');
    });

    it('accept a JWT living up to max_ttl_s, and follow a lower max_ttl_s after a reload', async () => {
      await expectDriverCall(bearer(await driverJwt(anna, { expiresInS: 86_400 })), 404);
      const doc = testDocument();
      const auth = doc.auth as Record<string, unknown>;
      inst.setDocument({ ...doc, auth: { ...auth, driver_jwt: { hs256_secret: JWT_SECRET, max_ttl_s: 600 } } });
      try {
        await expectDriverCall(bearer(await driverJwt(anna, { expiresInS: 600 })), 404);
        const res = await expectDriverCall(bearer(await driverJwt(anna, { expiresInS: 3600 })), 401);
        expect(res.body.detail).toContain('600 s');
      } finally {
        inst.setDocument(testDocument());
      }
    });

    it('refuse a token verified before once it expires, and once the secret changes', async () => {
      const shortLived = bearer(await driverJwt(anna, { expiresInS: 2 }));
      await expectDriverCall(shortLived, 404);
      await expectDriverCall(shortLived, 404); // remembered
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      await expectDriverCall(shortLived, 401);

      const token = bearer(await driverJwt(anna));
      await expectDriverCall(token, 404);
      const doc = testDocument();
      const auth = doc.auth as Record<string, unknown>;
      inst.setDocument({ ...doc, auth: { ...auth, driver_jwt: { hs256_secret: 'a-new-secret-after-rotation-0123456789' } } });
      try {
        await expectDriverCall(token, 401);
      } finally {
        inst.setDocument(testDocument());
      }
      await expectDriverCall(token, 404);
    });

    it('refuse a repeated identity header with 400 naming it', async () => {
      const res = await expectStatus(
        inst
          .get('/v1/assignment/status')
          .query({ order_id: newOrderId() })
          .set(bearer(GATEWAY_TOKEN))
          // Two header lines of one name (superagent's types allow arrays for Cookie only).
          .set('X-Park-Id', ['park1', 'park2'] as unknown as string)
          .set('X-Driver-Profile-Id', 'anna'),
        400,
      );
      expect(res.body).toMatchObject({ code: 'invalid_request', errors: [{ path: 'X-Park-Id' }] });
      const both = await expectStatus(
        inst
          .get('/v1/assignment/status')
          .query({ order_id: newOrderId() })
          .set(bearer(GATEWAY_TOKEN))
          .set('X-Park-Id', ['park1', 'park1'] as unknown as string)
          .set('X-Driver-Profile-Id', ['anna', 'boris'] as unknown as string),
        400,
      );
      expect(both.body.errors.map((e: { path: string }) => e.path)).toEqual(['X-Park-Id', 'X-Driver-Profile-Id']);
    });

    it('refuse malformed and unsigned JWTs (401)', async () => {
      await expectDriverCall(bearer('a.b.c'), 401);
      await expectDriverCall(bearer('not-even-a-jwt'), 401);
      const unsigned = new UnsecuredJWT({ park_db_id: 'park1', driver_id: 'anna' }).setExpirationTime('1h').encode();
      await expectDriverCall(bearer(unsigned), 401);
      await expectDriverCall({ Authorization: `Bearer ${await driverJwt(anna)} extra` }, 401);
    });

    it('refuse the gateway token without both identity headers (401)', async () => {
      await expectDriverCall(bearer(GATEWAY_TOKEN), 401);
      await expectDriverCall({ ...bearer(GATEWAY_TOKEN), 'X-Park-Id': 'park1' }, 401);
      await expectDriverCall({ ...bearer(GATEWAY_TOKEN), 'X-Driver-Profile-Id': 'anna' }, 401);
      await expectDriverCall({ ...bearer(GATEWAY_TOKEN), 'X-Park-Id': '', 'X-Driver-Profile-Id': 'anna' }, 401);
    });

    it('refuse the gateway headers without the gateway token', async () => {
      const headers = { 'X-Park-Id': 'park1', 'X-Driver-Profile-Id': 'anna' };
      await expectDriverCall(headers, 401);
      await expectDriverCall({ ...headers, ...bearer('some-other-token') }, 401);
      await expectDriverCall({ ...headers, ...service() }, 403);
    });

    it('refuse a service token with 403', async () => {
      const res = await expectDriverCall(service(), 403);
      expect(res.body.code).toBe('forbidden');
    });
  });

  it('never logs a token', async () => {
    const jwt = await driverJwt(anna);
    await asDriverCall(bearer(jwt));
    await asService(bearer(SERVICE_TOKEN));
    await asService(bearer(GATEWAY_TOKEN));
    const logged = inst.logs.text();
    for (const secret of [jwt, SERVICE_TOKEN, PROCESSING_TOKEN, GATEWAY_TOKEN, JWT_SECRET]) expect(logged).not.toContain(secret);
  });

  it('follow a configuration reload (a new token list)', async () => {
    const doc = testDocument();
    inst.setDocument({ ...doc, auth: { ...(doc.auth as object), service_tokens: { ordercommit: 'rotated-token-0001' } } });
    try {
      await expectService(bearer(SERVICE_TOKEN), 401);
      await expectService(bearer('rotated-token-0001'), 404);
    } finally {
      inst.setDocument(testDocument());
    }
  });
});

describe('driver JWT options', () => {
  it('check the audience and the issuer when configured', async () => {
    const doc = testDocument();
    const inst = await startInstance({
      background: false,
      document: {
        ...doc,
        auth: { ...(doc.auth as object), driver_jwt: { hs256_secret: JWT_SECRET, audience: 'taximeter', issuer: 'driver-auth' } },
      },
    });
    try {
      const expectCall = (token: string, code: number) =>
        expectStatus(inst.get('/v1/assignment/status').query({ order_id: 'o1' }).set(bearer(token)), code);
      await expectCall(await driverJwt(anna), 401);
      await expectCall(await driverJwt(anna, { claims: { aud: 'taximeter', iss: 'driver-auth' } }), 404);
      await expectCall(await driverJwt(anna, { claims: { aud: 'other', iss: 'driver-auth' } }), 401);
    } finally {
      await inst.close();
    }
  });

  it('verify against a JWKS', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwks: Server = createServer((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    const doc = testDocument();
    const inst = await startInstance({
      background: false,
      document: { ...doc, auth: { ...(doc.auth as object), driver_jwt: { jwks_url: url } } },
    });
    try {
      const expectCall = (token: string, code: number) =>
        expectStatus(inst.get('/v1/assignment/status').query({ order_id: 'o1' }).set(bearer(token)), code);
      const rs256 = await new SignJWT({ park_db_id: 'park1', driver_id: 'anna' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setExpirationTime('1h')
        .sign(privateKey);
      await expectCall(rs256, 404);
      await expectCall(await driverJwt(anna), 401); // HS256 is not accepted from a JWKS configuration
    } finally {
      await inst.close();
      jwks.close();
    }
  });
});
