import { parseArgs } from 'node:util';
import * as E from 'fp-ts/Either';
import { SignJWT } from 'jose';
import { formatConfigIssues, isIdentifier, type DispatchConfig } from '@codedispatch/core';
import { loadConfig } from '../config/load-config';

/*
 * Mints a driver JWT (HS256) with the configured secret — the demo one when
 * CODEDISPATCH_CONFIG is unset — and prints it:
 *
 *   npm run token -- --park P --driver D [--ttl 3600]
 */

const USAGE = 'usage: npm run token -- --park <park_db_id> --driver <driver_id> [--ttl <seconds, default 3600>]';

export const signDriverToken = async (
  config: DispatchConfig,
  parkDbId: string,
  driverId: string,
  ttlS: number,
): Promise<string> => {
  const settings = config.auth.driverJwt;
  if (settings?.hs256Secret == null)
    throw new Error('the configuration has no auth.driver_jwt.hs256_secret (a JWKS issuer mints its own tokens)');
  const jwt = new SignJWT({ park_db_id: parkDbId, driver_id: driverId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlS);
  if (settings.audience !== null) jwt.setAudience(settings.audience);
  if (settings.issuer !== null) jwt.setIssuer(settings.issuer);
  return jwt.sign(new TextEncoder().encode(settings.hs256Secret));
};

export const main = async (argv: readonly string[] = process.argv.slice(2)): Promise<number> => {
  let values: { park?: string; driver?: string; ttl?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        park: { type: 'string' },
        driver: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const ttl = Number(values.ttl ?? 3600);
  if (
    values.park === undefined ||
    values.driver === undefined ||
    !isIdentifier(values.park) ||
    !isIdentifier(values.driver) ||
    !Number.isInteger(ttl) ||
    ttl <= 0
  ) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const loaded = loadConfig();
  if (E.isLeft(loaded)) {
    process.stderr.write(`the configuration is invalid:\n${formatConfigIssues(loaded.left)}\n`);
    return 1;
  }
  try {
    process.stdout.write(`${await signDriverToken(loaded.right.config, values.park, values.driver, ttl)}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 1;
  }
};

if (require.main === module) {
  main().then((code) => process.exit(code));
}
