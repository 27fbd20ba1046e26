import type { AssignmentRepository, Clock, CodeRandom, ConfigSource, DriverTracker, Experiments } from './ports';
import { CancelOrderUseCase } from './use-cases/cancel-order';
import { CreateOrderUseCase } from './use-cases/create-order';
import { DriverStatusUseCase } from './use-cases/driver-status';
import { EnterCodeUseCase } from './use-cases/enter-code';
import { GetAssignmentUseCase } from './use-cases/get-assignment';
import { CodeIssuer } from './use-cases/issue-code';
import { LookupDriverUseCase } from './use-cases/lookup-driver';
import { SweepUseCase } from './use-cases/sweep';

export interface CodeDispatchPorts {
  readonly repository: AssignmentRepository;
  readonly tracker: DriverTracker;
  readonly experiments: Experiments;
  readonly clock: Clock;
  readonly random: CodeRandom;
  readonly config: ConfigSource;
}

/** Every use case wired to one set of ports: the whole feature, for embedding. */
export const createCodeDispatch = (p: CodeDispatchPorts) => ({
  createOrder: new CreateOrderUseCase(p.repository, p.experiments, new CodeIssuer(p.repository, p.random), p.clock, p.config),
  enterCode: new EnterCodeUseCase(p.repository, p.clock, p.config),
  driverStatus: new DriverStatusUseCase(p.repository, p.clock, p.config),
  lookupDriver: new LookupDriverUseCase(p.repository, p.tracker, p.clock, p.config),
  cancelOrder: new CancelOrderUseCase(p.repository, p.clock, p.config),
  getAssignment: new GetAssignmentUseCase(p.repository, p.clock, p.config),
  sweep: new SweepUseCase(p.repository, p.clock, p.config),
});

export type CodeDispatch = ReturnType<typeof createCodeDispatch>;
