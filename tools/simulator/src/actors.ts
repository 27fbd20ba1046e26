import type { GeneratorSettings } from '@codedispatch/core';
import type { ServiceClient } from './client';
import type { DriverTokens } from './driver-token';
import type { Behaviour } from './options';
import type { TaxiQueue } from './queues';
import type { Random } from './random';
import type { EntryRecord, FinalOutcome } from './records';
import type { Credentials } from './service-config';
import { sleep } from './time';
import type { TrackerStandIn } from './tracker-stand-in';
import { chooseEntry, typedCode, type Entry } from './typing';

/*
 * The people of the simulation, through the service's public API only.
 *
 * A passenger orders (create, retried with the same order_id while the
 * service cannot answer), walks to the queue and waits for a car; some cancel
 * on the way or while waiting; a passenger nobody takes before the code
 * expires leaves.
 *
 * A driver waits in the queue; at its front he takes the first passenger and
 * types the code — sometimes wrongly: a typo or a swap the check character
 * refuses, or another well-formed code (`code_not_found`); he then types it
 * again, right. Once the code is accepted he long-polls the status until the
 * assignment is `assigned` or fails; after a retryable failure he enters the
 * code again, once. A `429 too_many_attempts` sends the passenger to the next
 * car and the driver away for its Retry-After. After a ride the driver is
 * away for the trip, then rejoins the back of the queue.
 */

const RETRYABLE = new Set(['driver_not_found_in_tracker', 'driver_busy', 'driver_out_of_area', 'processing_timeout']);

/** Code entries a driver makes for one passenger before he gives up on him. */
const MAX_ENTRIES = 8;
/** Entries after a retryable failure of the lookup: one more. */
const MAX_RETRYABLE_FAILURES = 2;
/**
 * How long the order system goes on asking (create, cancel) through 503s and
 * refused connections before it gives up: longer than a database restart or
 * an instance's, as an order system retrying an idempotent call would.
 */
const ORDER_SYSTEM_RETRY_MS = 30_000;
/** The longest pause between two of its tries, whatever Retry-After says. */
const ORDER_SYSTEM_MAX_PAUSE_S = 5;

const pauseS = (retryAfterS: number | null, attempt: number): number =>
  Math.min(ORDER_SYSTEM_MAX_PAUSE_S, retryAfterS ?? 0.5 * 2 ** attempt);
/** How long a driver long-polls one accepted code before he gives up on it. */
const MAX_PROCESSING_WAIT_MS = 180_000;

export interface World {
  readonly client: ServiceClient;
  readonly credentials: Credentials;
  readonly tokens: DriverTokens;
  readonly tracker: TrackerStandIn | null;
  readonly behaviour: Behaviour;
  readonly generator: GeneratorSettings;
  readonly requestTimeoutMs: number;
  /** Ms from the start of the run. */
  readonly now: () => number;
  /** Aborts when the run stops: every loop ends. */
  readonly stop: AbortSignal;
  readonly recordEntry: (entry: EntryRecord) => void;
  /** Whether a code is held by a passenger of this run whose order is not final. */
  readonly isActiveCode: (areaId: string, code: string) => boolean;
  readonly onCode: (passenger: Passenger, active: boolean) => void;
  /** A passenger has ended (any outcome). */
  readonly onSettled: (passenger: Passenger) => void;
}

export type PassengerState = 'ordering' | 'walking' | 'waiting' | 'taken' | 'cancelling' | 'done';

export class Passenger {
  state: PassengerState = 'ordering';
  outcome: FinalOutcome | null = null;
  code: string | null = null;
  codeDisplay: string | null = null;
  /** `expires_at` of the order, epoch ms. */
  expiresAtMs = Number.POSITIVE_INFINITY;
  driverId: string | null = null;
  entryToAssignedMs: number | null = null;
  assignedAt: number | null = null;
  /** Assign requests answered for this passenger. */
  entries = 0;
  /** Codes typed for this passenger (each draws from its own random stream). */
  typings = 0;
  readonly cancelAt: number | null;

  constructor(
    readonly orderId: string,
    readonly areaId: string,
    readonly arrivedAt: number,
    readonly random: Random,
    private readonly world: World,
    private readonly queue: TaxiQueue<Passenger>,
  ) {
    const { cancelRate, cancelWithinS } = world.behaviour;
    this.cancelAt = random.chance(cancelRate) ? arrivedAt + random.between(0, cancelWithinS * 1_000) : null;
  }

  /** Orders, walks to the queue and waits there; a driver, a cancel or the expiry ends him. */
  async run(): Promise<void> {
    const w = this.world;
    const walkMs = this.random.around(w.behaviour.walkS * 1_000);
    if (!(await this.create())) return this.finish('not_created');
    w.onCode(this, true);
    if (this.cancelAt !== null) void this.cancelLater(this.cancelAt - w.now());
    void this.expireLater();
    this.state = 'walking';
    await sleep(walkMs - (w.now() - this.arrivedAt), w.stop);
    if (this.state === 'walking' && !w.stop.aborted) {
      this.state = 'waiting';
      this.queue.addPassenger(this);
    }
  }

  /** The passenger is no longer anyone's concern. */
  finish(outcome: FinalOutcome): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.outcome = outcome;
    if (this.code !== null) this.world.onCode(this, false);
    this.world.onSettled(this);
  }

  /** A driver gave up on him: back to the front of the queue, unless his code has expired meanwhile. */
  backToQueue(): void {
    if (this.state !== 'taken') return;
    if (Date.now() >= this.expiresAtMs) return this.finish('expired');
    this.state = 'waiting';
    this.queue.addPassenger(this, true);
  }

  private async create(): Promise<boolean> {
    const w = this.world;
    const giveUpAt = w.now() + ORDER_SYSTEM_RETRY_MS;
    for (let attempt = 0; w.now() < giveUpAt && !w.stop.aborted; attempt++) {
      const answer = await w.client.request({
        actor: 'order_system',
        method: 'POST',
        path: '/v1/order/create',
        route: '/v1/order/create',
        token: w.credentials.serviceToken,
        body: { order_id: this.orderId, area_id: this.areaId, user_id: `user-${this.orderId}`, locale: 'en' },
        timeoutMs: w.requestTimeoutMs,
        orderId: this.orderId,
      });
      if (answer.kind === 'aborted') return false;
      if (answer.kind === 'answered') {
        const { status, body } = answer;
        if (status === 200 && typeof body?.code === 'string') {
          this.code = body.code;
          this.codeDisplay = typeof body.code_display === 'string' ? body.code_display : body.code;
          const expires = Date.parse(String(body.expires_at));
          if (Number.isFinite(expires)) this.expiresAtMs = expires;
          return true;
        }
        // A refusal other than "not now" will not change by asking again.
        if (status < 500 && status !== 429) return false;
        await sleep(pauseS(answer.retryAfterS, attempt) * 1_000, w.stop);
        continue;
      }
      await sleep(Math.min(ORDER_SYSTEM_MAX_PAUSE_S * 1_000, 250 * 2 ** attempt), w.stop);
    }
    return false;
  }

  private async cancelLater(delayMs: number): Promise<void> {
    const w = this.world;
    if (!(await sleep(delayMs, w.stop))) return;
    if (this.state !== 'walking' && this.state !== 'waiting') return;
    this.queue.removePassenger(this);
    this.state = 'cancelling';
    const giveUpAt = w.now() + ORDER_SYSTEM_RETRY_MS;
    for (let attempt = 0; w.now() < giveUpAt && !w.stop.aborted; attempt++) {
      const answer = await w.client.request({
        actor: 'order_system',
        method: 'POST',
        path: '/v1/order/cancel',
        route: '/v1/order/cancel',
        token: w.credentials.serviceToken,
        body: { order_id: this.orderId, reason: 'the passenger changed their mind' },
        timeoutMs: w.requestTimeoutMs,
        orderId: this.orderId,
      });
      if (answer.kind === 'answered') {
        const { status, body } = answer;
        if (status === 200) return this.finish(body?.error_code === 'expired' ? 'expired' : 'cancelled');
        if (status === 409 && body?.code === 'order_already_assigned') return this.finish('assigned');
        if (status < 500 && status !== 429) return this.finish('unfinished');
        await sleep(pauseS(answer.retryAfterS, attempt) * 1_000, w.stop);
        continue;
      }
      if (answer.kind === 'aborted') break;
      await sleep(Math.min(ORDER_SYSTEM_MAX_PAUSE_S * 1_000, 250 * 2 ** attempt), w.stop);
    }
    this.finish('unfinished');
  }

  private async expireLater(): Promise<void> {
    // A second after expires_at, so that the service has expired it too.
    if (!(await sleep(this.expiresAtMs + 1_000 - Date.now(), this.world.stop))) return;
    if (this.state !== 'walking' && this.state !== 'waiting') return;
    this.queue.removePassenger(this);
    this.finish('expired');
  }
}

/** How serving one passenger ended for the driver. */
type Served =
  | { readonly kind: 'ride' }
  | { readonly kind: 'gone' }
  | { readonly kind: 'gave_up' }
  | { readonly kind: 'blocked'; readonly ms: number }
  | { readonly kind: 'stopped' };

type Polled =
  | { readonly kind: 'state'; readonly status: string; readonly errorCode: string | null }
  | { readonly kind: 'lost' }
  | { readonly kind: 'stopped' };

export class Driver {
  constructor(
    readonly parkDbId: string,
    readonly driverId: string,
    readonly areaId: string,
    private readonly random: Random,
    private readonly world: World,
    private readonly queue: TaxiQueue<Passenger>,
  ) {}

  async run(): Promise<void> {
    const w = this.world;
    // Drivers arrive at the queue over the first seconds, not all at once.
    if (!(await sleep(this.random.between(0, 2_000), w.stop))) return;
    let front = false;
    for (;;) {
      const passenger = await this.queue.nextPassenger(this.driverId, front);
      if (passenger === null || w.stop.aborted) return;
      passenger.state = 'taken';
      const served = await this.serve(passenger);
      front = false;
      switch (served.kind) {
        case 'ride':
          passenger.finish('assigned');
          if (!(await sleep(this.random.around(w.behaviour.tripS * 1_000), w.stop))) return;
          w.tracker?.release(this.parkDbId, this.driverId);
          break;
        case 'gone':
          // His passenger went away: he is still at the front.
          w.tracker?.release(this.parkDbId, this.driverId);
          front = true;
          break;
        case 'gave_up':
          // The next car takes the passenger; this driver leaves the queue for a while (a quarter of a trip).
          w.tracker?.release(this.parkDbId, this.driverId);
          passenger.backToQueue();
          if (!(await sleep(this.random.around(w.behaviour.tripS * 250), w.stop))) return;
          break;
        case 'blocked':
          passenger.backToQueue();
          if (!(await sleep(served.ms, w.stop))) return;
          break;
        case 'stopped':
          passenger.finish('unfinished');
          return;
        default: {
          const never: never = served;
          return never;
        }
      }
    }
  }

  private token(): string {
    return this.world.tokens.of(this.parkDbId, this.driverId);
  }

  private async serve(p: Passenger): Promise<Served> {
    const w = this.world;
    const code = p.code as string;
    let intent: Entry | null = null;
    let typed: string | null = null;
    let failures = 0;
    for (let tries = 0; tries < MAX_ENTRIES; tries++) {
      if (typed === null) {
        const r = p.random.fork(`typing:${p.typings++}`);
        intent ??= chooseEntry(r, {
          typo: w.behaviour.typoRate,
          swap: w.behaviour.swapRate,
          wrongCode: w.behaviour.wrongCodeRate,
        });
        typed = typedCode(r, intent, code, w.generator, (c) => w.isActiveCode(p.areaId, c));
        // Half the drivers type the code as shown (`482 918`), half without the space.
        if (r.chance(0.5) && intent === 'correct' && p.codeDisplay !== null) typed = p.codeDisplay;
        if (!(await sleep(r.around(w.behaviour.typingMs), w.stop))) return { kind: 'stopped' };
      }
      const entry = intent ?? 'correct';
      const startedAt = w.now();
      // As a driver app should: the entry itself waits for its outcome (it answers as soon as the record leaves
      // processing). A status long-poll sent after a bare entry would wait out its whole wait_ms whenever the
      // lookup finished in between, since it answers only a change after it arrived.
      const { waitMs } = w.behaviour;
      const answer = await w.client.request({
        actor: 'driver',
        method: 'POST',
        path: '/v1/order/assign',
        route: '/v1/order/assign',
        token: this.token(),
        body: { area_id: p.areaId, code: typed, wait_ms: waitMs },
        timeoutMs: Math.min(waitMs, 10_000) + w.requestTimeoutMs,
        orderId: p.orderId,
      });
      if (answer.kind === 'aborted') return { kind: 'stopped' };
      if (answer.kind !== 'answered') {
        // No answer: the app sends the same entry again (a repeat by the same driver is harmless).
        if (!(await sleep(500, w.stop))) return { kind: 'stopped' };
        continue;
      }
      const { status, body } = answer;
      const problem = typeof body?.code === 'string' ? body.code : `http_${status}`;
      p.entries++;
      w.recordEntry({
        at: startedAt,
        areaId: p.areaId,
        orderId: p.orderId,
        driverId: this.driverId,
        entry,
        answer: status === 200 ? String(body?.status) : problem,
      });
      const retype = (): void => {
        intent = 'correct';
        typed = null;
      };
      if (status === 200) {
        const polled: Polled =
          body?.status === 'processing'
            ? await this.poll(p)
            : {
                kind: 'state',
                status: String(body?.status),
                errorCode: typeof body?.error_code === 'string' ? body.error_code : null,
              };
        if (polled.kind === 'stopped') return { kind: 'stopped' };
        if (polled.kind === 'lost') return this.gone(p);
        if (polled.status === 'assigned') {
          p.driverId = this.driverId;
          p.assignedAt = w.now();
          p.entryToAssignedMs = p.assignedAt - startedAt;
          return { kind: 'ride' };
        }
        if (polled.status === 'error' && polled.errorCode !== null && RETRYABLE.has(polled.errorCode)) {
          if (++failures >= MAX_RETRYABLE_FAILURES) return { kind: 'gave_up' };
          retype();
          continue;
        }
        if (polled.errorCode === 'order_cancelled') return this.gone(p, 'cancelled');
        if (polled.errorCode === 'expired') return this.gone(p, 'expired');
        return { kind: 'gave_up' };
      }
      switch (problem) {
        case 'invalid_code_checksum':
        case 'invalid_code_format':
          retype();
          continue;
        case 'code_not_found':
        case 'code_already_in_use':
          if (entry !== 'correct') {
            retype();
            continue;
          }
          return this.gone(p);
        case 'too_many_attempts':
          return { kind: 'blocked', ms: (answer.retryAfterS ?? 60) * 1_000 };
        default:
          // driver_has_active_assignment, processing_disabled, 503s, anything unexpected: the same entry again shortly.
          if (!(await sleep((answer.retryAfterS ?? 1) * 1_000, w.stop))) return { kind: 'stopped' };
      }
    }
    return { kind: 'gave_up' };
  }

  /** The passenger's order is no longer there to take: he cancelled, or his code expired. */
  private gone(p: Passenger, outcome?: FinalOutcome): Served {
    p.finish(outcome ?? (Date.now() >= p.expiresAtMs ? 'expired' : 'unfinished'));
    return { kind: 'gone' };
  }

  /** Long-polls the status until it leaves `processing`. */
  private async poll(p: Passenger): Promise<Polled> {
    const w = this.world;
    const { waitMs } = w.behaviour;
    const until = w.now() + MAX_PROCESSING_WAIT_MS;
    while (w.now() < until) {
      const answer = await w.client.request({
        actor: 'driver',
        method: 'GET',
        path: `/v1/assignment/status?order_id=${encodeURIComponent(p.orderId)}&wait_ms=${waitMs}`,
        route: '/v1/assignment/status',
        token: this.token(),
        timeoutMs: Math.min(waitMs, 10_000) + w.requestTimeoutMs,
        orderId: p.orderId,
      });
      if (answer.kind === 'aborted') return { kind: 'stopped' };
      if (answer.kind !== 'answered') {
        if (!(await sleep(250, w.stop))) return { kind: 'stopped' };
        continue;
      }
      const { status, body } = answer;
      if (status === 200) {
        if (body?.status === 'processing' || body?.status === 'pending') continue;
        return {
          kind: 'state',
          status: String(body?.status),
          errorCode: typeof body?.error_code === 'string' ? body.error_code : null,
        };
      }
      if (status === 404) return { kind: 'lost' };
      if (!(await sleep((answer.retryAfterS ?? 1) * 1_000, w.stop))) return { kind: 'stopped' };
    }
    return { kind: 'lost' };
  }
}
