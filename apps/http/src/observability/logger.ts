import winston from 'winston';

export type Logger = winston.Logger;

export interface LoggerOptions {
  readonly level?: string;
  /** Where lines go; the console unless a test captures them. */
  readonly transports?: winston.transport[];
  readonly silent?: boolean;
}

/**
 * JSON lines, one object per event, with a timestamp. Nothing secret is ever
 * passed to it: requests are logged by method, route and status, never by
 * their headers or bodies.
 */
export const createLogger = (options: LoggerOptions = {}): Logger =>
  winston.createLogger({
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    transports: options.transports ?? [new winston.transports.Console()],
    silent: options.silent ?? false,
  });

/** An error as log fields: message and stack, for our logs only (never for a response). */
export const errorFields = (e: unknown): Record<string, unknown> =>
  e instanceof Error ? { error: e.message, error_name: e.name, stack: e.stack } : { error: String(e) };
