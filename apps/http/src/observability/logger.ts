import winston from 'winston';

export type Logger = winston.Logger;

export interface LoggerOptions {
  readonly level?: string;
  /** Where lines go; the console unless a test captures them. */
  readonly transports?: winston.transport[];
  readonly silent?: boolean;
}

const MESSAGE = Symbol.for('message');
const safeJson = winston.format.json();

/**
 * The line in one step: timestamp, level, message, then the fields. What
 * winston's timestamp + json formats make, in half the time (one line per
 * request makes this a hot path): json's stable stringify sorts the keys of
 * every line. Fields that JSON cannot hold (a cycle, a bigint) fall back to
 * that safe stringify.
 */
const jsonLine = winston.format((info) => {
  const { level, message, ...fields } = info;
  const entry = { timestamp: new Date().toISOString(), level, message, ...fields };
  let line: string;
  try {
    line = JSON.stringify(entry);
  } catch {
    const safe = safeJson.transform({ ...entry }, safeJson.options) as Record<symbol, unknown>;
    line = String(safe[MESSAGE]);
  }
  (info as Record<symbol, unknown>)[MESSAGE] = line;
  return info;
});

/**
 * JSON lines, one object per event, with a timestamp. Nothing secret is ever
 * passed to it: requests are logged by method, route and status, never by
 * their headers or bodies.
 */
export const createLogger = (options: LoggerOptions = {}): Logger =>
  winston.createLogger({
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    format: winston.format.combine(winston.format.errors({ stack: true }), jsonLine()),
    transports: options.transports ?? [new winston.transports.Console()],
    silent: options.silent ?? false,
  });

/** An error as log fields: message and stack, for our logs only (never for a response). */
export const errorFields = (e: unknown): Record<string, unknown> =>
  e instanceof Error ? { error: e.message, error_name: e.name, stack: e.stack } : { error: String(e) };
