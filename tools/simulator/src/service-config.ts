import { randomBytes } from 'node:crypto';
import * as E from 'fp-ts/Either';
import YAML from 'yaml';
import { decodeConfig, formatConfigIssues, splitConfigDocument, type GeneratorSettings } from '@codedispatch/core';

/*
 * The configuration document of a service the simulator starts itself (SPEC
 * §8): its areas, the HTTP tracker and the sink pointed at the stand-ins,
 * secrets generated for the run, and times short enough that every
 * passenger of a run ends assigned, cancelled or expired before it is over.
 * And what an operator sets in their own document to point a running
 * service at the stand-ins.
 */

export type SinkKind = 'webhook' | 'amqp' | 'embedded';

export interface Credentials {
  /** A service token of `auth.service_tokens` (the order system's, for create and cancel). */
  readonly serviceToken: string;
  /** Another one, processing's, for drivers-lookup; the same as serviceToken when only one is known. */
  readonly processingToken: string;
  /** `auth.driver_jwt.hs256_secret`: the simulator mints its drivers' tokens with it. */
  readonly jwtSecret: string;
  /** `processing_queue.webhook_secret`; null when not known (signatures are then not checked). */
  readonly webhookSecret: string | null;
}

/** Secrets for a service started here: random, never printed. */
export const generateCredentials = (): Credentials => ({
  serviceToken: `sim-ordercommit-${randomBytes(16).toString('hex')}`,
  processingToken: `sim-processing-${randomBytes(16).toString('hex')}`,
  jwtSecret: randomBytes(32).toString('hex'),
  webhookSecret: randomBytes(24).toString('hex'),
});

export interface SinkSettings {
  readonly kind: SinkKind;
  /** The stand-in's receiver, for `webhook`. */
  readonly webhookUrl?: string;
  readonly amqpUrl?: string;
  readonly amqpExchange?: string;
}

export interface GeneratedConfigSettings {
  readonly areas: readonly string[];
  readonly generator: Pick<GeneratorSettings, 'length' | 'alphabet' | 'checkDigit'>;
  readonly orderExpireS: number;
  readonly processingTimeoutS: number;
  readonly codeReuseCooldownS: number;
  readonly trackerUrl: string;
  readonly sink: SinkSettings;
  readonly credentials: Credentials;
}

const sinkSection = (sink: SinkSettings, webhookSecret: string | null): Record<string, unknown> => {
  switch (sink.kind) {
    case 'webhook':
      return { sink: 'webhook', webhook_url: sink.webhookUrl, webhook_secret: webhookSecret, max_attempts: 25 };
    case 'amqp':
      return { sink: 'amqp', amqp_url: sink.amqpUrl, amqp_exchange: sink.amqpExchange, max_attempts: 25 };
    case 'embedded':
      return { sink: 'embedded' };
    default: {
      const never: never = sink.kind;
      return never;
    }
  }
};

/** The document, as the service reads it. */
export const serviceConfigDocument = (s: GeneratedConfigSettings): Record<string, unknown> => ({
  processing_enabled: true,
  generator: {
    length: s.generator.length,
    alphabet: s.generator.alphabet,
    check_digit: s.generator.checkDigit,
    forbid_trivial: true,
  },
  experiment: { enabled: true, rollout_percent: 100 },
  areas: Object.fromEntries(
    s.areas.map((area) => [
      area,
      {
        enabled: true,
        instructions: { en: 'Tell this code to the driver of the first car in the queue' },
        order_expire_s: s.orderExpireS,
        processing_timeout_s: s.processingTimeoutS,
        driver_due_offset_s: 120,
        max_failed_attempts: 5,
        attempts_window_s: 600,
        code_reuse_cooldown_s: s.codeReuseCooldownS,
      },
    ]),
  ),
  auth: {
    service_tokens: { ordercommit: s.credentials.serviceToken, processing: s.credentials.processingToken },
    driver_jwt: { hs256_secret: s.credentials.jwtSecret },
  },
  tracker: { kind: 'http', url: s.trackerUrl, timeout_ms: 300 },
  processing_queue: sinkSection(s.sink, s.credentials.webhookSecret),
});

/** The document as YAML, checked with the service's own codec first (an error here is the simulator's bug). */
export const serviceConfigYaml = (s: GeneratedConfigSettings): string => {
  const document = serviceConfigDocument(s);
  // The domain's part with the core's codec (the service's own sections are the service's to check, at its start).
  const decoded = decodeConfig(splitConfigDocument(document).domain);
  if (E.isLeft(decoded)) throw new Error(`the generated configuration is invalid:\n${formatConfigIssues(decoded.left)}`);
  return `# Written by the simulator for one run; the secrets are this run's own.\n${YAML.stringify(document)}`;
};

/** What an operator sets in a running service's document for it to talk to the stand-ins. */
export const standInConfigHint = (trackerUrl: string, sink: SinkSettings, areas: readonly string[]): string => {
  const lines = [
    `tracker: {kind: http, url: "${trackerUrl}", timeout_ms: 300}`,
    sink.kind === 'webhook'
      ? `processing_queue: {sink: webhook, webhook_url: "${sink.webhookUrl ?? ''}", webhook_secret: <the secret given to --webhook-secret>}`
      : sink.kind === 'amqp'
        ? `processing_queue: {sink: amqp, amqp_url: "<the broker>", amqp_exchange: ${sink.amqpExchange ?? 'codedispatch'}}`
        : 'processing_queue: {sink: embedded}   # the service runs the lookups itself; the processing stand-in gets nothing',
    `areas: ${areas.join(', ')} configured and enabled (and in experiment.areas, if that list is set)`,
    'auth.driver_jwt.hs256_secret: the secret given to --jwt-secret; --service-token: one of auth.service_tokens',
  ];
  return lines.join('\n');
};
