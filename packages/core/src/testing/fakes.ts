import type { DispatchConfig } from '../config/config';
import { sameDriver, type Driver } from '../domain/ids';
import type { AcquireResult, Clock, CodeRandom, ConfigSource, DriverTracker, Experiments } from '../ports';

/** A clock that moves only when told to. */
export class FixedClock implements Clock {
  private t: number;
  constructor(start: Date | string = '2026-11-26T10:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  advanceSeconds(s: number): void {
    this.t += s * 1000;
  }
}

/** A deterministic `CodeRandom` (mulberry32): the same seed gives the same codes. */
export class SeededCodeRandom implements CodeRandom {
  private state: number;
  constructor(seed = 42) {
    this.state = seed >>> 0;
  }
  int(bound: number): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let x = this.state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    const unit = ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    return Math.floor(unit * bound);
  }
}

/** A configuration that tests can swap, like a reload. */
export class StaticConfigSource implements ConfigSource {
  constructor(private config: DispatchConfig) {}
  current(): DispatchConfig {
    return this.config;
  }
  set(config: DispatchConfig): void {
    this.config = config;
  }
}

/**
 * The tracker in memory: every driver is available (acquired, at a fixed
 * position) unless a test or the demo scripts another answer for him.
 */
export class InMemoryDriverTracker implements DriverTracker {
  private readonly scripted: { driver: Driver; result: AcquireResult }[] = [];
  readonly calls: { driver: Driver; orderId: string; areaId: string }[] = [];

  constructor(private readonly position = { lat: 55.9726, lon: 37.4146 }) {}

  script(driver: Driver, result: AcquireResult): void {
    this.scripted.unshift({ driver, result });
  }

  async acquire(driver: Driver, orderId: string, areaId: string): Promise<AcquireResult> {
    this.calls.push({ driver, orderId, areaId });
    return this.scripted.find((s) => sameDriver(s.driver, driver))?.result ?? { kind: 'acquired', position: this.position };
  }
}

/** Experiments with a fixed answer. */
export class FixedExperiments implements Experiments {
  constructor(public enabled = true) {}
  async isCodeDispatchEnabled(): Promise<boolean> {
    return this.enabled;
  }
}
