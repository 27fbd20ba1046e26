import { DOMAIN_ERROR_CODES, type DomainError } from '@codedispatch/core';
import { fromDomainError, PROBLEM_CODES, STATUS_OF, toProblem } from './problem';

describe('problem documents', () => {
  it('give every domain error code a status', () => {
    for (const code of DOMAIN_ERROR_CODES) expect(STATUS_OF[code]).toBeGreaterThanOrEqual(400);
    expect(PROBLEM_CODES).toEqual(expect.arrayContaining([...DOMAIN_ERROR_CODES]));
  });

  it.each([
    ['area_not_found', 404],
    ['assignment_not_found', 404],
    ['code_not_found', 404],
    ['area_disabled', 409],
    ['code_dispatch_disabled', 409],
    ['processing_disabled', 409],
    ['order_exists_in_other_area', 409],
    ['code_already_in_use', 409],
    ['driver_has_active_assignment', 409],
    ['assignment_not_processing', 409],
    ['order_already_assigned', 409],
    ['illegal_transition', 409],
    ['invalid_request', 400],
    ['invalid_code_format', 400],
    ['invalid_code_checksum', 400],
    ['too_many_attempts', 429],
    ['code_space_exhausted', 503],
    ['tracker_unavailable', 503],
    ['storage_unavailable', 503],
    ['unauthorized', 401],
    ['forbidden', 403],
    ['not_found', 404],
    ['method_not_allowed', 405],
    ['payload_too_large', 413],
    ['unsupported_media_type', 415],
    ['internal_error', 500],
  ] as const)('answers %s with %i', (code, status) => {
    expect(STATUS_OF[code]).toBe(status);
  });

  it('renders RFC 9457 with code, Retry-After and the extra members', () => {
    const tooMany = toProblem(fromDomainError({ code: 'too_many_attempts', retryAfterS: 12.2 }), { driverLocale: 'ru' });
    expect(tooMany.status).toBe(429);
    expect(tooMany.headers['Retry-After']).toBe('13');
    expect(tooMany.body).toMatchObject({
      type: expect.stringContaining('too_many_attempts'),
      status: 429,
      code: 'too_many_attempts',
      message: expect.stringMatching(/[а-я]/),
    });
    const notProcessing = toProblem(fromDomainError({ code: 'assignment_not_processing', assignmentStatus: 'assigned' }));
    expect(notProcessing.body).toMatchObject({ status: 409, assignment_status: 'assigned' });
    expect(notProcessing.body).not.toHaveProperty('message');
  });

  it('never puts the cause of a storage failure in the document', () => {
    const e: DomainError = {
      code: 'storage_unavailable',
      cause: new Error('password authentication failed for user "postgres" SELECT secret'),
    };
    const rendered = toProblem(fromDomainError(e));
    expect(JSON.stringify(rendered.body)).not.toMatch(/password|SELECT/);
    expect(rendered.headers['Retry-After']).toBe('1');
  });

  it('adds a message only to 400/404/409/429 on driver endpoints', () => {
    expect(toProblem({ code: 'unauthorized' }, { driverLocale: 'en' }).body).not.toHaveProperty('message');
    expect(toProblem({ code: 'code_not_found' }, { driverLocale: 'en' }).body.message).toMatch(/code/);
    expect(toProblem({ code: 'invalid_request', errors: [] }, { driverLocale: 'en' }).body).toMatchObject({
      errors: [],
      message: expect.any(String),
    });
  });
});
