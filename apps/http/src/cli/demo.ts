import * as E from 'fp-ts/Either';
import { formatConfigIssues } from '@codedispatch/core';
import { CodeDispatchProblem, createClient } from '@codedispatch/client';
import { readCommandLine, type CommandStreams } from '@codedispatch/postgres/command-line';
import { loadConfig } from '../config/load-config';
import { signDriverToken } from './token';

/*
 * Plays one whole flow against a running service (SPEC §10) and prints the
 * timeline: create an order in svo_d → mint a driver token → the driver
 * enters the code and waits (wait_ms 5000) while the lookup runs → status →
 * the record with its change log. Exits non-zero unless it ends `assigned`.
 *
 *   npm run demo [-- --url http://127.0.0.1:8080] [--area svo_d] [--park P] [--driver D]
 */

const COMMAND = {
  name: 'demo',
  usage: `Usage: npm run demo [-- [--url <url>] [--area <area_id>] [--park <park_db_id>] [--driver <driver_id>]]

Plays one whole flow against a running service (start it with npm start) and
prints the timeline: create an order, mint a driver token, the driver enters
the code and waits while the lookup runs, the status, the record with its
change log. Tokens come from the configuration (CODEDISPATCH_CONFIG, else the
demo configuration).

  --url <url>             the service (default http://127.0.0.1:$PORT, PORT default 8080)
  --area <area_id>        the area of the order (default svo_d)
  --park <park_db_id>     the driver's park (default demo-park)
  --driver <driver_id>    the driver (default demo-driver-<time>)
  -h, --help              this text

Exit: 0 the order ends assigned, 1 it does not (or the service failed), 2 usage error.
`,
  options: { url: { type: 'string' }, area: { type: 'string' }, park: { type: 'string' }, driver: { type: 'string' } },
} as const;

interface Step {
  readonly name: string;
  readonly ms: number;
  /** HTTP status; null for a local step. */
  readonly status: number | null;
  readonly body: unknown;
}

/** One call through the client, timed: its answer, or the problem it met (as the step's status). */
const timed = async <A>(
  run: () => Promise<A>,
): Promise<{ status: number; body: A | null; ms: number; problem: string | null }> => {
  const started = performance.now();
  try {
    const body = await run();
    return { status: 200, body, ms: performance.now() - started, problem: null };
  } catch (e) {
    if (!(e instanceof CodeDispatchProblem)) throw e;
    return { status: e.status, body: null, ms: performance.now() - started, problem: `${e.code}: ${e.detail}` };
  }
};

const line = (step: Step, summary: string): string =>
  `${step.name.padEnd(34)} ${`${step.ms.toFixed(1)} ms`.padStart(10)}  ${String(step.status ?? '-').padEnd(4)} ${summary}`;

export const main = async (argv: readonly string[] = process.argv.slice(2), io: CommandStreams = process): Promise<number> => {
  const commandLine = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(commandLine)) return commandLine.left;
  const { values } = commandLine.right;
  const base = (values.url ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`).replace(/\/+$/, '');
  const area = values.area ?? 'svo_d';
  const loaded = loadConfig();
  if (E.isLeft(loaded)) {
    io.stderr.write(`the configuration is invalid:\n${formatConfigIssues(loaded.left)}\n`);
    return 1;
  }
  const config = loaded.right.config;
  const [caller, serviceToken] = Object.entries(config.auth.serviceTokens)[0] ?? [];
  if (serviceToken === undefined) {
    io.stderr.write('no service token configured\n');
    return 1;
  }
  const stamp = Date.now().toString(36);
  const orderId = `demo-${stamp}`;
  const park = values.park ?? 'demo-park';
  const driverId = values.driver ?? `demo-driver-${stamp}`;
  // The order system and processing call with the service token, the driver app with the driver's JWT.
  const service = createClient({ baseUrl: base, auth: { kind: 'service', token: serviceToken }, acceptLanguage: 'en' });

  io.stdout.write(`codedispatch demo against ${base} (service ${caller}, area ${area})\n\n`);
  const steps: string[] = [];
  const print = (s: string) => {
    steps.push(s);
    io.stdout.write(`${s}\n`);
  };
  try {
    const created = await timed(() => service.orders.create({ order_id: orderId, area_id: area, user_id: 'demo-passenger' }));
    const order = created.body;
    print(
      line(
        { name: '1. order system: create order', ...created },
        order === null
          ? (created.problem ?? '?')
          : `code ${order.code_display}${order.instructions ? ` — "${order.instructions}"` : ''}`,
      ),
    );
    if (order === null) throw new Error(`create failed: ${created.problem ?? '?'}`);

    const mintStarted = performance.now();
    const driverToken = await signDriverToken(config, park, driverId, 600);
    const driverApp = createClient({ baseUrl: base, auth: { kind: 'driver', jwt: driverToken }, acceptLanguage: 'en' });
    print(
      line(
        { name: '2. driver app: sign in (JWT)', ms: performance.now() - mintStarted, status: null, body: null },
        `driver ${park}/${driverId}`,
      ),
    );

    const assigned = await timed(() => driverApp.driver.enterCode({ area_id: area, code: order.code_display, wait_ms: 5000 }));
    const state = assigned.body;
    print(
      line(
        { name: '3. driver: enter code, wait 5 s', ...assigned },
        state === null
          ? (assigned.problem ?? '?')
          : `status ${state.status}${state.error_code ? ` (${state.error_code}: ${state.message ?? ''})` : ''}`,
      ),
    );

    const polled = await timed(() => driverApp.driver.status(orderId));
    print(
      line(
        { name: '4. driver: status', ...polled },
        polled.body === null ? (polled.problem ?? '?') : `status ${polled.body.status}`,
      ),
    );

    const record = await timed(() => service.orders.get(orderId));
    const full = record.body;
    print(
      line({ name: '5. service: read the record', ...record }, full === null ? (record.problem ?? '?') : `status ${full.status}`),
    );
    if (full === null) throw new Error(`reading the record failed: ${record.problem ?? '?'}`);
    io.stdout.write('\nchange log:\n');
    for (const c of full.changes) {
      const actor =
        c.actor.kind === 'service'
          ? `service ${c.actor.name}`
          : c.actor.kind === 'driver'
            ? `driver ${c.actor.park_db_id}/${c.actor.driver_id}`
            : 'system';
      io.stdout.write(
        `  ${c.at}  ${String(c.from ?? '∅').padEnd(10)} → ${c.to.padEnd(10)} ${actor}${c.error_code ? ` (${c.error_code})` : ''}\n`,
      );
    }
    io.stdout.write(`\nfinal status: ${full.status}\n`);
    // The same story in the operations console (an operator token signs in; the demo's is printed by npm start).
    io.stdout.write(`in the console: ${base}/console/#/order/${encodeURIComponent(orderId)}\n`);
    return full.status === 'assigned' ? 0 : 1;
  } catch (e) {
    io.stderr.write(`\ndemo failed: ${(e as Error).message}\n(is the service running? start it with: npm start)\n`);
    return 1;
  }
};

if (require.main === module) {
  main().then((code) => process.exit(code));
}
