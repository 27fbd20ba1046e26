import { Router, type Response } from 'express';
import * as E from 'fp-ts/Either';
import type { Assignment, DriverStatus, VisibleDriverView } from '@codedispatch/core';
import type { Poll } from '../long-poll';
import { driverEndpoint, driverLocaleOf, driverOf, jsonBody, requireCaller, sendDomainError, sendProblem } from '../middleware';
import { invalidRequest } from '../problem';
import { AssignBody, decodeRequest, StatusQuery } from '../requests';
import { driverStateResponse, sameDriverState, type DriverStateView } from '../responses';
import type { AppDeps } from './deps';

const viewOf = (v: VisibleDriverView): DriverStateView => ({
  orderId: v.orderId,
  status: v.status,
  errorCode: v.errorCode,
  updatedAt: v.updatedAt,
});

/** Stops the long-poll when the client goes away before its answer. */
const cancelWhenGone = (res: Response, poll: Poll<Assignment | null>): void => {
  res.once('close', () => poll.cancel());
};

/** The driver app's endpoints: enter a code, and follow the order (SPEC §6). */
export const driverRoutes = (deps: AppDeps): Router => {
  const router = Router();
  const drivers = [driverEndpoint, requireCaller(deps.authenticator, 'driver')];

  /** This driver's view of a record his long-poll's watch read; undefined when it cannot be had (the last one stands). */
  const seenBy =
    (input: DriverStatus) =>
    async (record: Assignment | null): Promise<DriverStateView | undefined> => {
      const r = await deps.dispatch.driverStatus.execute(input, async () => record)();
      return E.isRight(r) ? viewOf(r.right) : undefined;
    };

  router.post('/v1/order/assign', ...drivers, jsonBody, async (req, res) => {
    const body = decodeRequest(AssignBody, req.body);
    if (E.isLeft(body)) return sendProblem(res, invalidRequest(body.left));
    const driver = driverOf(res);
    const entered = await deps.dispatch.enterCode.execute({ areaId: body.right.area_id, typedCode: body.right.code, driver })();
    if (E.isLeft(entered)) {
      // Counted for the console only in a configured area: a made-up area id must not grow the tally.
      if (Object.prototype.hasOwnProperty.call(deps.config.current().areas, body.right.area_id))
        deps.operations?.tally.count(body.right.area_id, entered.left.code);
      return sendDomainError(deps.logger, res, entered.left);
    }
    const a = entered.right;
    let view: DriverStateView = { orderId: a.orderId, status: a.status, errorCode: a.errorCode, updatedAt: a.updatedAt };
    const waitMs = body.right.wait_ms ?? 0;
    if (view.status === 'processing' && waitMs > 0) {
      // Answer as soon as the record leaves processing, on whichever instance it moves.
      const input = { orderId: a.orderId, driver };
      const poll = deps.longPoll.watch(a.orderId);
      cancelWhenGone(res, poll);
      try {
        // taken after subscribing: nothing slips in between
        const first = await deps.dispatch.driverStatus.execute(input, () => poll.record())();
        if (E.isRight(first)) view = viewOf(first.right);
        view = await poll.until({ waitMs, view: seenBy(input), done: (v) => v.status !== 'processing', initial: view });
      } finally {
        poll.close();
      }
    }
    res.json(driverStateResponse(view, driverLocaleOf(res)));
  });

  router.get('/v1/assignment/status', ...drivers, async (req, res) => {
    const query = decodeRequest(StatusQuery, req.query);
    if (E.isLeft(query)) return sendProblem(res, invalidRequest(query.left));
    const { order_id: orderId, wait_ms: waitMs = 0 } = query.right;
    const input = { orderId, driver: driverOf(res) };
    if (waitMs === 0) {
      const r = await deps.dispatch.driverStatus.execute(input)();
      if (E.isLeft(r)) return sendDomainError(deps.logger, res, r.left);
      return void res.json(driverStateResponse(viewOf(r.right), driverLocaleOf(res)));
    }
    const poll = deps.longPoll.watch(orderId);
    cancelWhenGone(res, poll);
    try {
      // The first snapshot is taken after subscribing, so no change slips in between.
      let first = await deps.dispatch.driverStatus.execute(input, () => poll.record())();
      // The kept record may lag another instance's write by its notification's few milliseconds: before telling a
      // driver the order is not his, read it afresh (he may have just entered its code through another instance).
      if (E.isLeft(first) && first.left.code === 'assignment_not_found')
        first = await deps.dispatch.driverStatus.execute(input, () => poll.recordAfresh())();
      if (E.isLeft(first)) return sendDomainError(deps.logger, res, first.left);
      const initial = viewOf(first.right);
      const view = await poll.until({ waitMs, view: seenBy(input), done: (v) => !sameDriverState(v, initial), initial });
      res.json(driverStateResponse(view, driverLocaleOf(res)));
    } finally {
      poll.close();
    }
  });

  return router;
};
