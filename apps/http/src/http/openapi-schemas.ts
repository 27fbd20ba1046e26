import { ProblemCodeShape, ProblemDocument } from './problem';
import { AssignBody, CancelOrderBody, CreateOrderBody, DriversLookupBody, schemaOf } from './requests';
import { RESPONSE_SHAPES } from './responses';
import { CONSOLE_RESPONSE_SHAPES } from './console-responses';
import { AssignmentErrorCodeShape, StatusShape, Timestamp } from './shapes';

/*
 * The JSON Schemas (2020-12) of the OpenAPI document's components. None is
 * written here: requests are what the codecs that decode them accept
 * (requests.ts), responses and problems are the shapes their mappings return
 * (responses.ts, problem.ts), the shared parts are in shapes.ts.
 */

export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

export const schemas: Record<string, Schema> = {
  CreateOrderRequest: schemaOf(CreateOrderBody),
  CancelOrderRequest: schemaOf(CancelOrderBody),
  AssignRequest: schemaOf(AssignBody),
  DriversLookupRequest: schemaOf(DriversLookupBody),
  Timestamp,
  Status: StatusShape,
  AssignmentErrorCode: AssignmentErrorCodeShape,
  ProblemCode: ProblemCodeShape,
  Problem: ProblemDocument,
  ...RESPONSE_SHAPES,
  ...CONSOLE_RESPONSE_SHAPES,
};
