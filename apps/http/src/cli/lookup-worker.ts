import * as E from 'fp-ts/Either';
import { readCommandLine, refuseCommandLine, type CommandStreams } from '@codedispatch/postgres/command-line';
import { AmqpCodeEnteredConsumer } from '@codedispatch/processing-queue';
import { lookupWorker } from '../processing/lookup-worker';

/*
 * A stand-in for processing on the amqp sink: consumes the "code entered"
 * events from RabbitMQ and runs the lookup for each, as processing would.
 * docker-compose runs it beside the service so that the stack completes the
 * flow; anywhere the real processing exists, it is not needed.
 */

const COMMAND = {
  name: 'lookup-worker',
  usage: `Usage: npm run lookup-worker -- [options]

Consumes code_dispatch.code_entered events from RabbitMQ (the amqp sink) and
calls POST /v1/drivers-lookup for each, as processing would. Runs until
SIGTERM or SIGINT.

  --amqp-url <url>      the broker (default $AMQP_URL, else amqp://guest:guest@127.0.0.1:5672)
  --exchange <name>     the sink's exchange, processing_queue.amqp_exchange (default $AMQP_EXCHANGE, else codedispatch)
  --queue <name>        the durable queue to bind and consume (default $LOOKUP_QUEUE, else codedispatch.lookup)
  --service-url <url>   the service (default $SERVICE_URL, else http://127.0.0.1:8080)
  --token <token>       a service token of auth.service_tokens (default $PROCESSING_TOKEN; required)
  -h, --help            this text

Exit: 0 stopped by a signal, 2 usage error.
`,
  options: {
    'amqp-url': { type: 'string' },
    exchange: { type: 'string' },
    queue: { type: 'string' },
    'service-url': { type: 'string' },
    token: { type: 'string' },
  },
} as const;

type Env = Readonly<Record<string, string | undefined>>;

const nonEmpty = (...values: (string | undefined)[]): string | undefined => values.find((v) => v !== undefined && v !== '');

export const main = async (
  argv: readonly string[] = process.argv.slice(2),
  io: CommandStreams = process,
  env: Env = process.env,
  stopped: Promise<string> = new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  }),
): Promise<number> => {
  const line = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(line)) return line.left;
  const { values } = line.right;
  const token = nonEmpty(values.token, env.PROCESSING_TOKEN);
  if (token === undefined) return refuseCommandLine(COMMAND, io, '--token (or PROCESSING_TOKEN) is required');
  const serviceUrl = nonEmpty(values['service-url'], env.SERVICE_URL) ?? 'http://127.0.0.1:8080';
  if (!URL.canParse(serviceUrl))
    return refuseCommandLine(COMMAND, io, `--service-url ${JSON.stringify(serviceUrl)} is not a URL`);
  const exchange = nonEmpty(values.exchange, env.AMQP_EXCHANGE) ?? 'codedispatch';
  const queue = nonEmpty(values.queue, env.LOOKUP_QUEUE) ?? 'codedispatch.lookup';
  const log = (fields: Record<string, unknown>): void => {
    io.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
  };
  const consumer = new AmqpCodeEnteredConsumer(
    {
      url: nonEmpty(values['amqp-url'], env.AMQP_URL) ?? 'amqp://guest:guest@127.0.0.1:5672',
      exchange,
      queue,
      onConnectionError: (e) => log({ level: 'warn', message: 'broker connection', error: String(e) }),
    },
    lookupWorker({
      serviceUrl,
      token,
      onLookup: (event, result) =>
        log({ level: 'info', message: 'lookup', order_id: event.order_id, attempt: event.attempt, result }),
    }),
  );
  void consumer.whenReady().then(() => log({ level: 'info', message: 'consuming', exchange, queue, service_url: serviceUrl }));
  const signal = await stopped;
  log({ level: 'info', message: 'stopping', signal });
  await consumer.close();
  return 0;
};

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
