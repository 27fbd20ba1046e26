import { Router, type Response } from 'express';
import * as E from 'fp-ts/Either';
import type { Driver, OrderId, VisibleDriverView } from '@codedispatch/core';
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

/** Aborts when the client goes away before its answer, so its long-poll stops waiting. */
const clientGone = (res: Response): AbortSignal => {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
};

/** The driver app's endpoints: enter a code, and follow the order (SPEC §6). */
export const driverRoutes = (deps: AppDeps): Router => {
  const router = Router();
  const drivers = [driverEndpoint, requireCaller(deps.authenticator, 'driver')];

  /** This driver's view of the order now; undefined when it cannot be read (the last one read stands). */
  const readView = (orderId: OrderId, driver: Driver) => async (): Promise<DriverStateView | undefined> => {
    const r = await deps.dispatch.driverStatus.execute({ orderId, driver })();
    return E.isRight(r) ? viewOf(r.right) : undefined;
  };

  router.post('/v1/order/assign', ...drivers, jsonBody, async (req, res) => {
    const body = decodeRequest(AssignBody, req.body);
    if (E.isLeft(body)) return sendProblem(res, invalidRequest(body.left));
    const driver = driverOf(res);
    const entered = await deps.dispatch.enterCode.execute({ areaId: body.right.area_id, typedCode: body.right.code, driver })();
    if (E.isLeft(entered)) return sendDomainError(deps.logger, res, entered.left);
    const a = entered.right;
    let view: DriverStateView = { orderId: a.orderId, status: a.status, errorCode: a.errorCode, updatedAt: a.updatedAt };
    const waitMs = body.right.wait_ms ?? 0;
    if (view.status === 'processing' && waitMs > 0) {
      // Answer as soon as the record leaves processing, on whichever instance it moves.
      const waiter = deps.longPoll.watch(a.orderId);
      try {
        const read = readView(a.orderId, driver);
        view = (await read()) ?? view; // taken after subscribing: nothing slips in between
        view = await waiter.until({
          waitMs,
          read,
          done: (v) => v.status !== 'processing',
          initial: view,
          signal: clientGone(res),
        });
      } finally {
        waiter.close();
      }
    }
    res.json(driverStateResponse(view, driverLocaleOf(res)));
  });

  router.get('/v1/assignment/status', ...drivers, async (req, res) => {
    const query = decodeRequest(StatusQuery, req.query);
    if (E.isLeft(query)) return sendProblem(res, invalidRequest(query.left));
    const driver = driverOf(res);
    const { order_id: orderId, wait_ms: waitMs = 0 } = query.right;
    const waiter = waitMs > 0 ? deps.longPoll.watch(orderId) : null;
    try {
      // The first snapshot is taken after subscribing, so no change slips in between.
      const first = await deps.dispatch.driverStatus.execute({ orderId, driver })();
      if (E.isLeft(first)) return sendDomainError(deps.logger, res, first.left);
      const initial = viewOf(first.right);
      const view =
        waiter === null
          ? initial
          : await waiter.until({
              waitMs,
              read: readView(orderId, driver),
              done: (v) => !sameDriverState(v, initial),
              initial,
              signal: clientGone(res),
            });
      res.json(driverStateResponse(view, driverLocaleOf(res)));
    } finally {
      waiter?.close();
    }
  });

  return router;
};
