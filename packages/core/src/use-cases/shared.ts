import * as E from 'fp-ts/Either';
import { identity, pipe } from 'fp-ts/function';
import * as TE from 'fp-ts/TaskEither';
import type { AreaSettings, DispatchConfig } from '../config/config';
import { storageUnavailable, type DomainError } from '../errors';

/**
 * Runs a use case body. Domain outcomes come back as Either; a thrown error
 * can only be the infrastructure failing, and becomes `storage_unavailable`.
 */
export const useCase = <A>(run: () => Promise<E.Either<DomainError, A>>): TE.TaskEither<DomainError, A> =>
  pipe(TE.tryCatch(run, storageUnavailable), TE.chainEitherK(identity));

export const secondsLater = (t: Date, seconds: number): Date => new Date(t.getTime() + seconds * 1000);

/** The area of a request: configured (404 otherwise) and enabled (409 otherwise). */
export const enabledArea = (config: DispatchConfig, areaId: string): E.Either<DomainError, AreaSettings> => {
  if (!Object.prototype.hasOwnProperty.call(config.areas, areaId)) return E.left({ code: 'area_not_found', areaId });
  const settings = config.areas[areaId] as AreaSettings;
  return settings.enabled ? E.right(settings) : E.left({ code: 'area_disabled', areaId });
};
