import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RunningSimulation } from './simulation';
import type { ThrowawayPostgres } from './throwaway-postgres';

/*
 * The faults the chaos run injects, one after another, each recorded as a
 * window (when it began, when the service had all it needs again), and each
 * with its repair registered before it is done, so that whatever happens —
 * a failed check, an exception, Ctrl-C — the run puts back what it broke.
 */

const run = promisify(execFile);

export type FaultName = 'instance_killed' | 'postgres_restarted' | 'rabbitmq_stopped' | 'tracker_hung' | 'webhook_failing';

export interface FaultWindow {
  readonly fault: FaultName;
  /** What was done, in words. */
  readonly what: string;
  /** ms from the start of the traffic. */
  readonly startAt: number;
  readonly endAt: number;
}

export interface FaultPlan {
  readonly fault: FaultName;
  /** When it begins, ms from the start of the traffic. */
  readonly at: number;
  /** How long the thing stays broken. */
  readonly forMs: number;
}

/** The default schedule: one fault at a time, each over before the next, with time to recover between. */
export const defaultPlan = (scale = 1): FaultPlan[] => [
  { fault: 'instance_killed', at: 20_000 * scale, forMs: 5_000 },
  { fault: 'postgres_restarted', at: 50_000 * scale, forMs: 5_000 },
  { fault: 'rabbitmq_stopped', at: 80_000 * scale, forMs: 30_000 },
  { fault: 'tracker_hung', at: 130_000 * scale, forMs: 30_000 },
  { fault: 'webhook_failing', at: 175_000 * scale, forMs: 60_000 },
];

/** Repairs to run, newest first, exactly once each. */
export class Repairs {
  private readonly pending = new Map<string, () => Promise<void>>();

  add(name: string, repair: () => Promise<void>): void {
    this.pending.set(name, repair);
  }

  done(name: string): void {
    this.pending.delete(name);
  }

  /** Runs what is still pending; a repair that fails is reported, the others still run. */
  async runAll(report: (line: string) => void): Promise<void> {
    for (const [name, repair] of [...this.pending].reverse()) {
      this.pending.delete(name);
      try {
        await repair();
        report(`restored: ${name}`);
      } catch (e) {
        report(`could NOT restore ${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}

export interface FaultWorld {
  readonly simulation: RunningSimulation;
  readonly postgres: ThrowawayPostgres;
  readonly repairs: Repairs;
  /** ms since the traffic started. */
  readonly now: () => number;
  readonly log: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const rabbitmqctl = async (command: 'stop_app' | 'start_app' | 'await_startup'): Promise<void> => {
  await run('rabbitmqctl', [command], { timeout: 60_000 });
};

/** Injects one fault, holds it for `forMs`, repairs it; resolves with its window once the repair is done. */
export const inject = async (plan: FaultPlan, w: FaultWorld): Promise<FaultWindow> => {
  const startAt = w.now();
  const held = (what: string): FaultWindow => ({ fault: plan.fault, what, startAt, endAt: w.now() });
  switch (plan.fault) {
    case 'instance_killed': {
      // The second instance: it relays to the webhook, and the first has migrated the database.
      const service = w.simulation.services[1] ?? w.simulation.services[0];
      if (service === undefined) throw new Error('no service instance to kill');
      w.repairs.add('killed instance', () => service.restart());
      service.kill('SIGKILL');
      w.log(`SIGKILL ${service.url}`);
      await sleep(plan.forMs);
      await service.restart();
      w.repairs.done('killed instance');
      return held(`SIGKILL ${service.url}, restarted after ${plan.forMs / 1000} s`);
    }
    case 'postgres_restarted': {
      w.repairs.add('PostgreSQL', () => w.postgres.start());
      await w.postgres.stop();
      w.log('PostgreSQL stopped');
      await sleep(plan.forMs);
      await w.postgres.start();
      w.repairs.done('PostgreSQL');
      return held(`PostgreSQL stopped (fast) and started again ${plan.forMs / 1000} s later`);
    }
    case 'rabbitmq_stopped': {
      w.repairs.add('RabbitMQ', () => rabbitmqctl('start_app'));
      await rabbitmqctl('stop_app');
      w.log('RabbitMQ application stopped');
      await sleep(plan.forMs);
      await rabbitmqctl('start_app');
      w.repairs.done('RabbitMQ');
      return held(`rabbitmqctl stop_app, start_app ${plan.forMs / 1000} s later`);
    }
    case 'tracker_hung': {
      w.simulation.tracker.hangFor(plan.forMs);
      w.log(`tracker stand-in hangs for ${plan.forMs / 1000} s`);
      await sleep(plan.forMs);
      return held(`tracker stand-in answered nothing for ${plan.forMs / 1000} s (past the service's 300 ms timeout)`);
    }
    case 'webhook_failing': {
      const receiver = w.simulation.webhookReceiver;
      if (receiver === null) throw new Error('no webhook receiver to make fail');
      receiver.failFor(plan.forMs);
      w.log(`webhook receiver answers 503 for ${plan.forMs / 1000} s`);
      await sleep(plan.forMs);
      return held(`webhook receiver answered 503 for ${plan.forMs / 1000} s`);
    }
    default: {
      const never: never = plan.fault;
      throw new Error(`unknown fault ${String(never)}`);
    }
  }
};
