import { Router, type Response } from 'express';
import * as E from 'fp-ts/Either';
import { areaSettingsOf, displayCode, type Assignment, type DispatchConfig } from '@codedispatch/core';
import { errorFields } from '../../observability/logger';
import { areaActivityRequest, areaFacts, typedCodeIn } from '../../operations/area-activity';
import {
  areaSummary,
  configStatusResponse,
  deadLetter,
  outboxEvent,
  type ActiveOrder,
  type AreasResponse,
  type EventsResponse,
  type OrderStory,
  type OrdersByCode,
  type RedriveResponse,
} from '../console-responses';
import { operatorNameOf, requireCaller, sendDomainError, sendProblem } from '../middleware';
import { invalidRequest } from '../problem';
import {
  AreasQuery,
  AssignmentParams,
  decodeRequest,
  DEFAULT_DEAD_LETTER_LIMIT,
  DEFAULT_WINDOW_MIN,
  EventParams,
  EventsQuery,
  OrdersByCodeQuery,
} from '../requests';
import { assignmentResponse, iso } from '../responses';
import type { AppDeps, ConsoleDeps } from './deps';

const BUCKET_S = 60;

const activeOrder = (config: DispatchConfig, a: Assignment): ActiveOrder => ({
  order_id: a.orderId,
  area_id: a.areaId,
  code: a.code,
  code_display: displayCode(areaSettingsOf(config, a.areaId).generator, a.code),
  status: a.status,
  error_code: a.errorCode,
  updated_at: iso(a.updatedAt),
});

/**
 * The operations console's API (issue 13): read-only views for operators,
 * and the redrive of dead letters (logged with the operator's name). Every
 * call takes an operator token.
 */
export const consoleApiRoutes = (deps: AppDeps): Router => {
  const router = Router();
  const operator = requireCaller(deps.authenticator, 'operator');

  /** The storage-backed parts, or a 503 when this instance has none (the in-memory repository of tests). */
  const withStorage = (res: Response): ConsoleDeps | undefined => {
    if (deps.operations === undefined)
      sendProblem(res, { code: 'storage_unavailable', detail: 'The operations endpoints need a database.', retryAfterS: 1 });
    return deps.operations;
  };

  /** A storage failure: logged with the request, answered 503. */
  const failed = (res: Response, e: unknown): void => {
    deps.logger.error('operations read failed', { request_id: res.getHeader('X-Request-Id'), ...errorFields(e) });
    sendProblem(res, { code: 'storage_unavailable', detail: 'The database did not answer.', retryAfterS: 1 });
  };

  router.get('/v1/ops/areas', operator, async (req, res) => {
    const query = decodeRequest(AreasQuery, req.query);
    if (E.isLeft(query)) return sendProblem(res, invalidRequest(query.left));
    const ops = withStorage(res);
    if (ops === undefined) return;
    const config = deps.config.current();
    const now = ops.clock.now();
    try {
      const activity = await ops.readModel.areaActivity(
        areaActivityRequest(config, now, query.right.window_min ?? DEFAULT_WINDOW_MIN),
      );
      const body: AreasResponse = {
        generated_at: iso(now),
        bucket_s: BUCKET_S,
        areas: activity.map((a) => areaSummary(areaFacts(config, a.areaId), a)),
      };
      res.json(body);
    } catch (e) {
      failed(res, e);
    }
  });

  router.get('/v1/ops/orders', operator, async (req, res) => {
    const query = decodeRequest(OrdersByCodeQuery, req.query);
    if (E.isLeft(query)) return sendProblem(res, invalidRequest(query.left));
    const ops = withStorage(res);
    if (ops === undefined) return;
    try {
      const config = deps.config.current();
      const found = await ops.readModel.activeByCode(
        query.right.area_id,
        typedCodeIn(config, query.right.area_id, query.right.code),
      );
      res.json({ orders: found.map((a) => activeOrder(config, a)) } satisfies OrdersByCode);
    } catch (e) {
      failed(res, e);
    }
  });

  router.get('/v1/ops/orders/:order_id', operator, async (req, res) => {
    const params = decodeRequest(AssignmentParams, req.params);
    if (E.isLeft(params)) return sendProblem(res, invalidRequest(params.left));
    const ops = withStorage(res);
    if (ops === undefined) return;
    const record = await deps.dispatch.getAssignment.execute(params.right.order_id)();
    if (E.isLeft(record)) return sendDomainError(deps.logger, res, record.left);
    try {
      const events = await ops.readModel.eventsOf(params.right.order_id);
      const body: OrderStory = {
        assignment: assignmentResponse(deps.config.current(), record.right),
        events: events.map(outboxEvent),
      };
      res.json(body);
    } catch (e) {
      failed(res, e);
    }
  });

  router.get('/v1/ops/events', operator, async (req, res) => {
    const query = decodeRequest(EventsQuery, req.query);
    if (E.isLeft(query)) return sendProblem(res, invalidRequest(query.left));
    const ops = withStorage(res);
    if (ops === undefined) return;
    try {
      const [stats, dead] = await Promise.all([
        ops.outbox.stats(),
        ops.readModel.deadLetters(query.right.limit ?? DEFAULT_DEAD_LETTER_LIMIT),
      ]);
      const body: EventsResponse = {
        depth: stats.depth,
        oldest_age_s: Math.round(stats.oldestAgeSeconds * 1000) / 1000,
        dead: stats.dead,
        dead_letters: dead.map(deadLetter),
      };
      res.json(body);
    } catch (e) {
      failed(res, e);
    }
  });

  /** Puts dead letters back in the queue (the relays are woken) and logs who did it, and which. */
  const redrive = async (res: Response, ops: ConsoleDeps, eventIds: readonly string[] | undefined): Promise<number> => {
    const redriven = await ops.outbox.redrive(eventIds);
    if (redriven.length > 0)
      deps.logger.info('dead letters redriven', { operator: operatorNameOf(res), event_ids: redriven, count: redriven.length });
    return redriven.length;
  };

  router.post('/v1/ops/events/redrive', operator, async (_req, res) => {
    const ops = withStorage(res);
    if (ops === undefined) return;
    try {
      res.json({ redriven: await redrive(res, ops, undefined) } satisfies RedriveResponse);
    } catch (e) {
      failed(res, e);
    }
  });

  router.post('/v1/ops/events/:event_id/redrive', operator, async (req, res) => {
    const params = decodeRequest(EventParams, req.params);
    if (E.isLeft(params)) return sendProblem(res, invalidRequest(params.left));
    const ops = withStorage(res);
    if (ops === undefined) return;
    try {
      const redriven = await redrive(res, ops, [params.right.event_id]);
      if (redriven === 0)
        return sendProblem(res, { code: 'not_found', detail: `No dead letter has the event id ${params.right.event_id}.` });
      res.json({ redriven } satisfies RedriveResponse);
    } catch (e) {
      failed(res, e);
    }
  });

  router.get('/v1/ops/config', operator, (_req, res) => {
    res.json(configStatusResponse(deps.configStatus()));
  });

  return router;
};
