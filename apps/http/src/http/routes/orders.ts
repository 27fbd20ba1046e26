import { Router } from 'express';
import * as E from 'fp-ts/Either';
import { areaSettingsOf, pickInstructions } from '@codedispatch/core';
import { jsonBody, requireCaller, sendDomainError, sendProblem, serviceNameOf } from '../middleware';
import { invalidRequest } from '../problem';
import { CancelOrderBody, CreateOrderBody, decodeRequest } from '../requests';
import { cancelOrderResponse, createOrderResponse } from '../responses';
import type { AppDeps } from './deps';

/** The order system's endpoints: create (issue a code) and cancel (SPEC §6). */
export const orderRoutes = (deps: AppDeps): Router => {
  const router = Router();
  const service = requireCaller(deps.authenticator, 'service');

  router.post('/v1/order/create', service, jsonBody, async (req, res) => {
    const body = decodeRequest(CreateOrderBody, req.body);
    if (E.isLeft(body)) return sendProblem(res, invalidRequest(body.left));
    const { order_id: orderId, area_id: areaId, user_id: userId, locale } = body.right;
    const result = await deps.dispatch.createOrder.execute({
      orderId,
      areaId,
      userId: userId ?? null,
      service: serviceNameOf(res),
    })();
    if (E.isLeft(result)) return sendDomainError(deps.logger, res, result.left);
    const config = deps.config.current();
    const instructions = pickInstructions(
      areaSettingsOf(config, result.right.areaId).instructions,
      locale,
      req.get('accept-language'),
    );
    res.json(createOrderResponse(config, result.right, instructions));
  });

  router.post('/v1/order/cancel', service, jsonBody, async (req, res) => {
    const body = decodeRequest(CancelOrderBody, req.body);
    if (E.isLeft(body)) return sendProblem(res, invalidRequest(body.left));
    const { order_id: orderId, reason } = body.right;
    const result = await deps.dispatch.cancelOrder.execute({
      orderId,
      service: serviceNameOf(res),
      ...(reason !== undefined ? { reason } : {}),
    })();
    if (E.isLeft(result)) return sendDomainError(deps.logger, res, result.left);
    res.json(cancelOrderResponse(result.right));
  });

  return router;
};
