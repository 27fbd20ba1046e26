/**
 * The built-in configuration used when `CODEDISPATCH_CONFIG` is unset (SPEC
 * §8, §10): two areas, the in-memory tracker and the embedded sink, so a
 * fresh clone runs the whole flow with `npm start` alone. The secrets are
 * public: never use this document in production.
 */
export const DEMO_SERVICE_TOKEN = 'demo-service-token';
export const DEMO_DRIVER_JWT_SECRET = 'demo-driver-jwt-secret-0123456789';
export const DEMO_GATEWAY_TOKEN = 'demo-gateway-token';
export const DEMO_OPERATOR_TOKEN = 'demo-operator-token';

export const demoConfigDocument = (): Record<string, unknown> => ({
  processing_enabled: true,
  generator: { length: 6, alphabet: '0123456789', check_digit: 'damm', group: [3, 3], forbid_trivial: true },
  experiment: { enabled: true, areas: ['svo_d', 'zenit'], rollout_percent: 100, deny_users: [] },
  areas: {
    svo_d: {
      enabled: true,
      instructions: {
        ru: 'Назовите код водителю первой машины в очереди',
        en: 'Tell this code to the driver of the first car in the queue',
      },
      order_expire_s: 1800,
      processing_timeout_s: 60,
      driver_due_offset_s: 120,
      max_failed_attempts: 5,
      attempts_window_s: 600,
      code_reuse_cooldown_s: 3600,
    },
    zenit: {
      enabled: true,
      instructions: {
        ru: 'Назовите код водителю первой машины на стоянке такси у стадиона',
        en: 'Tell this code to the driver of the first car at the stadium taxi rank',
      },
    },
  },
  auth: {
    service_tokens: { demo: DEMO_SERVICE_TOKEN },
    driver_jwt: { hs256_secret: DEMO_DRIVER_JWT_SECRET },
    gateway_token: DEMO_GATEWAY_TOKEN,
    operator_tokens: { demo: DEMO_OPERATOR_TOKEN },
  },
  tracker: { kind: 'memory' },
  processing_queue: { sink: 'embedded' },
});
