import * as E from 'fp-ts/Either';
import {
  CodeDispatchNetworkError,
  CodeDispatchProblem,
  createClient,
  type AreasResponse,
  type CodeDispatchClient,
  type ConfigStatus,
  type EventsResponse,
  type OrdersByCode,
  type OrderStory,
  type RedriveResponse,
} from '@codedispatch/client';
import { readCommandLine, refuseCommandLine, runCommand, type CommandStreams } from '@codedispatch/postgres/command-line';

/*
 * The operations console's API from a terminal (issue 13): talks to the
 * running service's /v1/ops endpoints with an operator token, so it works
 * while the service holds the embedded PGlite.
 *
 *   npm run admin -- <command> [--json] [--url URL] [--token T]
 */

const COMMAND = {
  name: 'admin',
  usage: `Usage: npm run admin -- <command> [--json] [--url <url>] [--token <operator token>]

Commands:
  areas                    activity by area (code-space use, pending, processing, last 15 minutes)
  order <order_id>         an order's record, change log and outbox events
  find <area_id> <code>    the active orders of an area with this code (as typed)
  dead-letters             outbox depth and the dead letters
  redrive <event_id>       puts one dead letter back in the queue
  redrive --all            puts every dead letter back in the queue
  config                   the configuration in force and the last reload

Options:
  --json                   print the API's JSON instead of a table
  --url <url>              the service (default CODEDISPATCH_URL, else http://127.0.0.1:8080)
  --token <token>          an operator token (default CODEDISPATCH_OPERATOR_TOKEN)
  --all                    with redrive: every dead letter
  -h, --help               this text

Exit: 0 done, 1 the service answered a problem (or could not be reached), 2 usage error.
`,
  options: {
    json: { type: 'boolean' },
    url: { type: 'string' },
    token: { type: 'string' },
    all: { type: 'boolean' },
  },
  positionals: 3,
} as const;

export type AdminCommand =
  | { readonly kind: 'areas' }
  | { readonly kind: 'order'; readonly orderId: string }
  | { readonly kind: 'find'; readonly areaId: string; readonly code: string }
  | { readonly kind: 'dead-letters' }
  | { readonly kind: 'redrive'; readonly eventId: string }
  | { readonly kind: 'redrive-all' }
  | { readonly kind: 'config' };

/** The command the positionals name, or why they name none. */
export const parseAdminCommand = (positionals: readonly string[], all: boolean): E.Either<string, AdminCommand> => {
  const [name, first, second] = positionals;
  const arity = (n: number, what: string): string | null => (positionals.length - 1 === n ? null : `${name} takes ${what}`);
  switch (name) {
    case undefined:
      return E.left('a command is required');
    case 'areas':
    case 'dead-letters':
    case 'config': {
      const wrong = arity(0, 'no argument');
      return wrong !== null ? E.left(wrong) : E.right({ kind: name });
    }
    case 'order': {
      const wrong = arity(1, 'one argument: <order_id>');
      return wrong !== null ? E.left(wrong) : E.right({ kind: 'order', orderId: first as string });
    }
    case 'find': {
      const wrong = arity(2, 'two arguments: <area_id> <code>');
      return wrong !== null ? E.left(wrong) : E.right({ kind: 'find', areaId: first as string, code: second as string });
    }
    case 'redrive':
      if (all) return positionals.length === 1 ? E.right({ kind: 'redrive-all' }) : E.left('redrive --all takes no event id');
      return positionals.length === 2
        ? E.right({ kind: 'redrive', eventId: first as string })
        : E.left('redrive takes one argument: <event_id> (or --all)');
    default:
      return E.left(`unknown command ${JSON.stringify(name)}`);
  }
};

// ------------------------------------------------------------------ tables

// A last_error or a reason may hold anything a sink or a caller sent: no control character reaches the terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const printable = (cell: string): string => cell.replace(CONTROL, ' ');

/** Columns padded to their widest cell. */
export const table = (header: readonly string[], rawRows: readonly (readonly string[])[]): string => {
  const rows = rawRows.map((r) => r.map(printable));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
};

const percent = (use: number): string => `${(use * 100).toFixed(2)}%`;
const ms = (v: number | null): string => (v === null ? '-' : `${v} ms`);
const errors = (byCode: Readonly<Record<string, number>>): string =>
  Object.entries(byCode)
    .map(([code, n]) => `${code}=${n}`)
    .join(' ') || '-';

const areasText = (r: AreasResponse): string =>
  table(
    ['AREA', 'ENABLED', 'CODE SPACE', 'PENDING', 'PROCESSING', 'ENTRIES/15M', 'ASSIGNED/15M', 'P50', 'P99', 'REFUSALS', 'ERRORS'],
    r.areas.map((a) => [
      a.area_id,
      a.enabled ? 'yes' : 'no',
      `${a.code_space.taken}/${a.code_space.size} (${percent(a.code_space.use)})`,
      String(a.now.pending),
      String(a.now.processing),
      String(a.last_15_min.entries),
      String(a.last_15_min.assignments),
      ms(a.last_15_min.entry_to_assigned_ms.p50),
      ms(a.last_15_min.entry_to_assigned_ms.p99),
      String(a.last_15_min.attempt_limit_refusals),
      errors(a.last_15_min.errors),
    ]),
  );

const orderText = (s: OrderStory): string => {
  const a = s.assignment;
  const actor = (c: (typeof a.changes)[number]): string =>
    c.actor.kind === 'service'
      ? `service ${c.actor.name}`
      : c.actor.kind === 'driver'
        ? `driver ${c.actor.park_db_id}/${c.actor.driver_id}`
        : 'system';
  return [
    `order ${a.order_id}  area ${a.area_id}  code ${a.code_display}  status ${a.status}${a.error_code !== null ? ` (${a.error_code})` : ''}`,
    `driver ${a.driver_id === null ? '-' : `${a.park_db_id}/${a.driver_id}`}  attempt ${a.attempt}  expires ${a.expires_at}`,
    '',
    table(
      ['AT', 'FROM', 'TO', 'ACTOR', 'ERROR', 'REASON'],
      a.changes.map((c) => [c.at, c.from ?? '-', c.to, actor(c), c.error_code ?? '', c.reason ?? '']),
    ),
    s.events.length === 0
      ? 'no outbox events\n'
      : table(
          ['EVENT', 'TYPE', 'CREATED', 'ATTEMPTS', 'DELIVERED', 'DEAD', 'LAST ERROR'],
          s.events.map((e) => [
            e.event_id,
            e.type,
            e.created_at,
            String(e.attempts),
            e.delivered_at ?? '-',
            e.dead_at ?? '-',
            e.last_error ?? '',
          ]),
        ),
  ].join('\n');
};

const findText = (r: OrdersByCode): string =>
  r.orders.length === 0
    ? 'no active order has this code\n'
    : table(
        ['ORDER', 'AREA', 'CODE', 'STATUS', 'ERROR', 'UPDATED'],
        r.orders.map((o) => [o.order_id, o.area_id, o.code_display, o.status, o.error_code ?? '', o.updated_at]),
      );

const deadLettersText = (r: EventsResponse): string =>
  [
    `outbox depth ${r.depth}  oldest ${r.oldest_age_s} s  dead letters ${r.dead}`,
    r.dead_letters.length === 0
      ? ''
      : table(
          ['EVENT', 'ORDER', 'TYPE', 'ATTEMPTS', 'DEAD AT', 'LAST ERROR'],
          r.dead_letters.map((d) => [d.event_id, d.order_id, d.type, String(d.attempts), d.dead_at, d.last_error ?? '']),
        ),
  ].join('\n');

const configText = (c: ConfigStatus): string =>
  [
    `origin      ${c.origin.kind === 'file' ? `file ${c.origin.path}` : 'demo'}`,
    `version     ${c.version}`,
    `loaded at   ${c.loaded_at}`,
    `last reload ${c.last_reload === null ? 'none' : `${c.last_reload.outcome} at ${c.last_reload.at} (${c.last_reload.trigger})`}`,
    ...(c.last_reload?.issues ?? []).map((i) => `  ${i.path}: ${i.message}`),
    ...(c.applies_at_restart.length > 0 ? [`applies at the next start: ${c.applies_at_restart.join(', ')}`] : []),
  ].join('\n') + '\n';

const redriveText = (r: RedriveResponse): string => `redriven ${r.redriven}\n`;

/** Runs the command against the service: what to print, human-readable or the API's JSON. */
export const runAdminCommand = async (client: CodeDispatchClient, command: AdminCommand, json: boolean): Promise<string> => {
  const out = <T>(body: T, text: (b: T) => string): string => (json ? `${JSON.stringify(body, null, 2)}\n` : text(body));
  switch (command.kind) {
    case 'areas':
      return out(await client.ops.areas(), areasText);
    case 'order':
      return out(await client.ops.order(command.orderId), orderText);
    case 'find':
      return out(await client.ops.find(command.areaId, command.code), findText);
    case 'dead-letters':
      return out(await client.ops.events(), deadLettersText);
    case 'redrive':
      return out(await client.ops.redrive(command.eventId), redriveText);
    case 'redrive-all':
      return out(await client.ops.redriveAll(), redriveText);
    case 'config':
      return out(await client.ops.config(), configText);
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
};

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export const main = async (
  argv: readonly string[] = process.argv.slice(2),
  io: CommandStreams = process,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> => {
  const line = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(line)) return line.left;
  const { values, positionals } = line.right;
  const command = parseAdminCommand(positionals, values.all === true);
  if (E.isLeft(command)) return refuseCommandLine(COMMAND, io, command.left);
  if (values.all === true && command.right.kind !== 'redrive-all')
    return refuseCommandLine(COMMAND, io, '--all goes only with redrive');
  const token = values.token ?? env.CODEDISPATCH_OPERATOR_TOKEN;
  if (token === undefined || token === '')
    return refuseCommandLine(COMMAND, io, 'an operator token is required: --token or CODEDISPATCH_OPERATOR_TOKEN');
  const fromEnv = values.url === undefined && env.CODEDISPATCH_URL !== undefined && env.CODEDISPATCH_URL !== '';
  const url = values.url ?? (fromEnv ? (env.CODEDISPATCH_URL as string) : DEFAULT_URL);
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    return refuseCommandLine(
      COMMAND,
      io,
      `${fromEnv ? 'CODEDISPATCH_URL' : '--url'} ${JSON.stringify(url)} is not an http(s) URL`,
    );
  const client = createClient({ baseUrl: url, auth: { kind: 'operator', token } });
  try {
    io.stdout.write(await runAdminCommand(client, command.right, values.json === true));
    return 0;
  } catch (e) {
    if (e instanceof CodeDispatchProblem) {
      // With --json, the problem document itself, for a script to read.
      if (values.json === true) io.stderr.write(`${JSON.stringify(e.body)}\n`);
      else {
        const fields = (e.errors ?? []).map((i) => `\n  ${i.path}: ${i.message}`).join('');
        io.stderr.write(`admin: ${e.code}: ${e.detail}${fields}\n`);
      }
      return 1;
    }
    if (e instanceof CodeDispatchNetworkError) {
      io.stderr.write(`admin: cannot reach ${url}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
};

if (require.main === module) runCommand(() => main());
