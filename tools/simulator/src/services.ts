import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from './service-process';

/*
 * The instances a run starts itself, each on a fixed port so that it can be
 * killed and started again at the same address (what a fault-injecting run
 * does to one instance of several).
 */

export interface ManagedService {
  readonly url: string;
  /** The process running now; null while it is down. */
  readonly process: ServiceProcess | null;
  /** Sends a signal to the process (SIGKILL: a crash). */
  kill(signal: NodeJS.Signals): void;
  /** Starts it again (same port, configuration and storage) and waits until it is ready; stops it first if it still runs. */
  restart(): Promise<void>;
  /** SIGTERM: graceful shutdown. */
  stop(): Promise<void>;
}

export interface StartServicesOptions {
  readonly workDir: string;
  /** The configuration document, or each instance's (by its index from 0). */
  readonly configYaml: string | ((instance: number) => string);
  readonly instances: number;
  /** A PostgreSQL database; absent: PGlite in the work directory (one instance only). */
  readonly databaseUrl?: string;
  readonly nodeArgs?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

const manage = async (options: Omit<ServiceProcessOptions, 'port'>): Promise<ManagedService> => {
  let current: ServiceProcess | null = await startServiceProcess(options);
  const port = Number(new URL(current.url).port);
  const service: ManagedService = {
    url: current.url,
    get process() {
      return current;
    },
    kill: (signal) => current?.kill(signal),
    restart: async () => {
      // Still running (not killed): shut it down first.
      await current?.stop();
      current = null;
      current = await startServiceProcess({ ...options, port });
    },
    stop: async () => {
      await current?.stop();
    },
  };
  return service;
};

/** Writes the configuration and starts the instances: the first alone (it migrates the database), then the others together. */
export const startServices = async (o: StartServicesOptions): Promise<ManagedService[]> => {
  if (o.instances > 1 && o.databaseUrl === undefined)
    throw new Error('several instances need one PostgreSQL database (databaseUrl): PGlite serves one process');
  mkdirSync(o.workDir, { recursive: true });
  const configYaml = o.configYaml;
  const configPathOf = (i: number): string => {
    if (typeof configYaml === 'string') return join(o.workDir, 'codedispatch.yaml');
    const path = join(o.workDir, `codedispatch-${i + 1}.yaml`);
    writeFileSync(path, configYaml(i), { mode: 0o600 });
    return path;
  };
  if (typeof configYaml === 'string') writeFileSync(configPathOf(0), configYaml, { mode: 0o600 });
  const optionsOf = (i: number): Omit<ServiceProcessOptions, 'port'> => ({
    configPath: configPathOf(i),
    storage: o.databaseUrl !== undefined ? { databaseUrl: o.databaseUrl } : { pgliteDataDir: join(o.workDir, 'pglite') },
    logPath: join(o.workDir, `service-${i + 1}.log`),
    ...(o.nodeArgs !== undefined ? { nodeArgs: o.nodeArgs } : {}),
    ...(o.env !== undefined ? { env: o.env } : {}),
  });
  const started = [await manage(optionsOf(0))];
  const rest = await Promise.allSettled(Array.from({ length: o.instances - 1 }, (_, i) => manage(optionsOf(i + 1))));
  for (const r of rest) if (r.status === 'fulfilled') started.push(r.value);
  const failed = rest.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.allSettled(started.map((s) => s.stop()));
    throw failed.reason;
  }
  return started;
};
