import { parseGauges } from './metrics';

describe('parseGauges', () => {
  it('reads code-space use per area and the outbox depth from Prometheus text', () => {
    const text = [
      '# HELP codedispatch_code_space_used_ratio Share of the code space',
      '# TYPE codedispatch_code_space_used_ratio gauge',
      'codedispatch_code_space_used_ratio{area="svo_d"} 0.0125',
      'codedispatch_code_space_used_ratio{area="zenit"} 3e-05',
      'codedispatch_outbox_depth 4',
      'codedispatch_outbox_dead 0',
      'http_request_duration_seconds_bucket{le="0.001",method="GET",route="/ping",status="200"} 2',
    ].join('\n');
    expect(parseGauges(text)).toEqual({ codeSpace: { svo_d: 0.0125, zenit: 0.00003 }, outboxDepth: 4 });
  });

  it('gives no depth and no areas when the service reports none', () => {
    expect(parseGauges('# nothing\n')).toEqual({ codeSpace: {}, outboxDepth: null });
  });
});
