import * as E from 'fp-ts/Either';
import type * as TE from 'fp-ts/TaskEither';
import { displayCode } from './codes';
import { areaSettingsOf, type DispatchConfig } from './config/config';
import type { Assignment } from './domain/assignment';
import { driver as driverOf, isIdentifier, type AreaId, type OrderId, type UserId } from './domain/ids';
import type { DomainError } from './errors';
import { ConfigExperiments } from './experiments/config-experiments';
import { pickInstructions } from './i18n/messages';
import type { AssignmentRepository, Clock, CodeRandom, ConfigSource, DriverTracker, Experiments } from './ports';
import { SystemClock, WebCryptoCodeRandom } from './system';
import type { VisibleDriverView } from './use-cases/driver-status';
import type { LookupResult } from './use-cases/lookup-driver';
import type { SweepReport } from './use-cases/sweep';
import { CancelOrderUseCase } from './use-cases/cancel-order';
import { CreateOrderUseCase } from './use-cases/create-order';
import { DriverStatusUseCase } from './use-cases/driver-status';
import { EnterCodeUseCase } from './use-cases/enter-code';
import { GetAssignmentUseCase } from './use-cases/get-assignment';
import { CodeIssuer } from './use-cases/issue-code';
import { LookupDriverUseCase } from './use-cases/lookup-driver';
import { SweepUseCase } from './use-cases/sweep';

export interface UseCasePorts {
  readonly repository: AssignmentRepository;
  readonly tracker: DriverTracker;
  readonly experiments: Experiments;
  readonly clock: Clock;
  readonly random: CodeRandom;
  readonly config: ConfigSource;
}

/** Every use case wired to one set of ports: the whole feature, for embedding. */
export const createUseCases = (p: UseCasePorts) => ({
  createOrder: new CreateOrderUseCase(p.repository, p.experiments, new CodeIssuer(p.repository, p.random), p.clock, p.config),
  enterCode: new EnterCodeUseCase(p.repository, p.clock, p.config),
  driverStatus: new DriverStatusUseCase(p.repository, p.clock, p.config),
  lookupDriver: new LookupDriverUseCase(p.repository, p.tracker, p.clock, p.config),
  cancelOrder: new CancelOrderUseCase(p.repository, p.clock, p.config),
  getAssignment: new GetAssignmentUseCase(p.repository, p.clock, p.config),
  sweep: new SweepUseCase(p.repository, p.clock, p.config),
});

export type UseCases = ReturnType<typeof createUseCases>;

// ------------------------------------------------------------ embedding

/** Where the assignments live: `postgresStore(…)` of @codedispatch/postgres, or `memoryStore()` of @codedispatch/core/testing. */
export interface Store {
  readonly repository: AssignmentRepository;
}

export interface CodeDispatchOptions {
  readonly store: Store;
  /** The dispatch configuration (areas, generator, experiment), or a source that follows reloads. */
  readonly config: DispatchConfig | ConfigSource;
  /** Acquires the driver at lookup (SPEC §7): `HttpDriverTracker` of @codedispatch/tracker-http, or your own. */
  readonly tracker: DriverTracker;
  /** Default: the configuration's `experiment` section. */
  readonly experiments?: Experiments;
  /** Default: the wall clock. */
  readonly clock?: Clock;
  /** Default: the platform's CSPRNG (Web Crypto). */
  readonly random?: CodeRandom;
}

/** A domain answer as a value: what the REST service answers with 2xx, or the error it maps to a problem document. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DomainError };

/** A created order as the REST answer carries it. */
export interface IssuedCode {
  readonly assignment: Assignment;
  /** The code as the passenger is shown it, grouped by the area's generator (`code_display`). */
  readonly codeDisplay: string;
  /** The area's passenger instructions in the best language (`instructions`), when the area has any. */
  readonly instructions?: string;
}

export interface CreateOrderInput {
  readonly orderId: string;
  readonly areaId: string;
  readonly userId?: string | null;
  /** The calling service, for the change log. */
  readonly service: string;
  /** The passenger's language for the instructions (`locale`), else … */
  readonly locale?: string;
  /** … an Accept-Language header's value. */
  readonly acceptLanguage?: string;
}

export interface DriverInput {
  readonly parkDbId: string;
  readonly driverId: string;
}

/** The use cases of SPEC §6 with plain promises, for embedding. */
export interface CodeDispatch {
  createOrder(input: CreateOrderInput): Promise<Outcome<IssuedCode>>;
  cancelOrder(input: {
    readonly orderId: string;
    readonly service: string;
    readonly reason?: string;
  }): Promise<Outcome<Assignment>>;
  /** The driver typed `code` (as typed: separators and full-width digits are fine) in `areaId`. */
  enterCode(input: {
    readonly areaId: string;
    readonly code: string;
    readonly driver: DriverInput;
  }): Promise<Outcome<Assignment>>;
  /** What this driver may see of the order (a driver who is not its driver gets `assignment_not_found`). */
  driverStatus(input: { readonly orderId: string; readonly driver: DriverInput }): Promise<Outcome<VisibleDriverView>>;
  /** Processing's lookup: acquire the driver who entered the code. */
  lookupDriver(input: { readonly orderId: string; readonly service: string }): Promise<Outcome<LookupResult>>;
  getAssignment(orderId: string): Promise<Outcome<Assignment>>;
  /** One sweep: due expiries and processing timeouts. The background worker runs it every second. */
  sweep(): Promise<Outcome<SweepReport>>;
  /** The same use cases in fp-ts style (TaskEither), and the configuration in force. */
  readonly useCases: UseCases;
  readonly config: ConfigSource;
}

const isConfigSource = (c: DispatchConfig | ConfigSource): c is ConfigSource =>
  typeof (c as Partial<ConfigSource>).current === 'function';

/** An id as the domain takes it (1–128 characters, no control characters), or a TypeError naming the field. */
const id = <T extends string>(field: string, value: unknown): T => {
  if (typeof value !== 'string' || !isIdentifier(value))
    throw new TypeError(`${field} must be a string of 1 to 128 characters without control characters`);
  return value as T;
};

const run = async <T>(task: TE.TaskEither<DomainError, T>): Promise<Outcome<T>> => {
  const result = await task();
  return E.isRight(result) ? { ok: true, value: result.right } : { ok: false, error: result.left };
};

/**
 * The whole feature for embedding: every use case on one store, with
 * defaults for the clock, the random source and the experiment. Domain
 * answers come back as `Outcome`s (never thrown); a promise rejects with a
 * TypeError only for an id that is not one (a programming error).
 */
export const createCodeDispatch = (options: CodeDispatchOptions): CodeDispatch => {
  const config: ConfigSource = isConfigSource(options.config)
    ? options.config
    : { current: () => options.config as DispatchConfig };
  const useCases = createUseCases({
    repository: options.store.repository,
    tracker: options.tracker,
    experiments: options.experiments ?? new ConfigExperiments(config),
    clock: options.clock ?? new SystemClock(),
    random: options.random ?? new WebCryptoCodeRandom(),
    config,
  });
  const driverFrom = (d: DriverInput) => driverOf(id('driver.parkDbId', d.parkDbId), id('driver.driverId', d.driverId));
  return {
    useCases,
    config,
    createOrder: async (input) => {
      const created = await run(
        useCases.createOrder.execute({
          orderId: id<OrderId>('orderId', input.orderId),
          areaId: id<AreaId>('areaId', input.areaId),
          userId: input.userId === undefined || input.userId === null ? null : id<UserId>('userId', input.userId),
          service: input.service,
        }),
      );
      if (!created.ok) return created;
      const assignment = created.value;
      const settings = areaSettingsOf(config.current(), assignment.areaId);
      const instructions = pickInstructions(settings.instructions, input.locale, input.acceptLanguage);
      return {
        ok: true,
        value: {
          assignment,
          codeDisplay: displayCode(settings.generator, assignment.code),
          ...(instructions !== undefined ? { instructions } : {}),
        },
      };
    },
    cancelOrder: async (input) =>
      run(
        useCases.cancelOrder.execute({
          orderId: id<OrderId>('orderId', input.orderId),
          service: input.service,
          ...(input.reason !== undefined ? { reason: input.reason } : {}),
        }),
      ),
    enterCode: async (input) =>
      run(
        useCases.enterCode.execute({
          areaId: id<AreaId>('areaId', input.areaId),
          typedCode: input.code,
          driver: driverFrom(input.driver),
        }),
      ),
    driverStatus: async (input) =>
      run(useCases.driverStatus.execute({ orderId: id<OrderId>('orderId', input.orderId), driver: driverFrom(input.driver) })),
    lookupDriver: async (input) =>
      run(useCases.lookupDriver.execute({ orderId: id<OrderId>('orderId', input.orderId), service: input.service })),
    getAssignment: async (orderId) => run(useCases.getAssignment.execute(id<OrderId>('orderId', orderId))),
    sweep: async () => run(useCases.sweep.execute()),
  };
};
