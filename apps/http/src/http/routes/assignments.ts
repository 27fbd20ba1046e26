import { Router } from 'express';
import * as E from 'fp-ts/Either';
import { jsonBody, requireCaller, sendDomainError, sendProblem, serviceNameOf } from '../middleware';
import { invalidRequest } from '../problem';
import { AssignmentParams, decodeRequest, DriversLookupBody } from '../requests';
import { assignmentResponse, lookupResponse } from '../responses';
import type { AppDeps } from './deps';

/** The assignment endpoints of services: processing's lookup and the whole record (SPEC §6). */
export const assignmentRoutes = (deps: AppDeps): Router => {
  const router = Router();
  const service = requireCaller(deps.authenticator, 'service');

  router.post('/v1/drivers-lookup', service, jsonBody, async (req, res) => {
    const body = decodeRequest(DriversLookupBody, req.body);
    if (E.isLeft(body)) return sendProblem(res, invalidRequest(body.left));
    const result = await deps.dispatch.lookupDriver.execute({ orderId: body.right.order_id, service: serviceNameOf(res) })();
    if (E.isLeft(result)) return sendDomainError(deps.logger, res, result.left);
    res.json(lookupResponse(result.right));
  });

  router.get('/v1/assignments/:order_id', service, async (req, res) => {
    const params = decodeRequest(AssignmentParams, req.params);
    if (E.isLeft(params)) return sendProblem(res, invalidRequest(params.left));
    const result = await deps.dispatch.getAssignment.execute(params.right.order_id)();
    if (E.isLeft(result)) return sendDomainError(deps.logger, res, result.left);
    res.json(assignmentResponse(deps.config.current(), result.right));
  });

  return router;
};
