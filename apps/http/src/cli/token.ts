import * as E from 'fp-ts/Either';
import { SignJWT } from 'jose';
import { formatConfigIssues, isIdentifier } from '@codedispatch/core';
import { readCommandLine, refuseCommandLine, type CommandStreams } from '@codedispatch/postgres/command-line';
import { loadConfig } from '../config/load-config';
import type { ServiceConfig } from '../config/service-config';

/*
 * Mints a driver JWT (HS256) with the configured secret — the demo one when
 * CODEDISPATCH_CONFIG is unset — and prints it:
 *
 *   npm run token -- --park P --driver D [--ttl 3600]
 */

const COMMAND = {
  name: 'token',
  usage: `Usage: npm run token -- --park <park_db_id> --driver <driver_id> [--ttl <seconds>]

Mints a driver JWT (HS256) with auth.driver_jwt.hs256_secret of the
configuration (CODEDISPATCH_CONFIG, else the demo configuration) and prints it.

  --park <park_db_id>   the driver's park (required)
  --driver <driver_id>  the driver (required)
  --ttl <seconds>       how long the token is valid (default 3600; at most auth.driver_jwt.max_ttl_s)
  -h, --help            this text

Exit: 0 printed, 1 the configuration is invalid or has no HS256 secret, 2 usage error.
`,
  options: { park: { type: 'string' }, driver: { type: 'string' }, ttl: { type: 'string' } },
} as const;

export const signDriverToken = async (
  config: ServiceConfig,
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

/** An identifier option's value, or why it is refused. */
const identifier = (option: string, value: string | undefined): E.Either<string, string> =>
  value === undefined
    ? E.left(`--${option} is required`)
    : isIdentifier(value)
      ? E.right(value)
      : E.left(`--${option} ${JSON.stringify(value)} is not an identifier`);

export const main = async (argv: readonly string[] = process.argv.slice(2), io: CommandStreams = process): Promise<number> => {
  const line = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(line)) return line.left;
  const { values } = line.right;
  const park = identifier('park', values.park);
  if (E.isLeft(park)) return refuseCommandLine(COMMAND, io, park.left);
  const driver = identifier('driver', values.driver);
  if (E.isLeft(driver)) return refuseCommandLine(COMMAND, io, driver.left);
  const ttl = Number(values.ttl ?? 3600);
  if (!Number.isInteger(ttl) || ttl <= 0)
    return refuseCommandLine(COMMAND, io, `--ttl ${JSON.stringify(values.ttl)} is not a positive number of seconds`);
  const loaded = loadConfig();
  if (E.isLeft(loaded)) {
    io.stderr.write(`the configuration is invalid:\n${formatConfigIssues(loaded.left)}\n`);
    return 1;
  }
  const maxTtlS = loaded.right.config.auth.driverJwt?.maxTtlS;
  if (maxTtlS !== undefined && ttl > maxTtlS)
    return refuseCommandLine(
      COMMAND,
      io,
      `--ttl ${ttl} is longer than auth.driver_jwt.max_ttl_s (${maxTtlS}): the service would refuse the token`,
    );
  try {
    io.stdout.write(`${await signDriverToken(loaded.right.config, park.right, driver.right, ttl)}\n`);
    return 0;
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n`);
    return 1;
  }
};

if (require.main === module) {
  main().then((code) => process.exit(code));
}
