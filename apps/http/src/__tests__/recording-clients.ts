import { createClient, type Auth, type CodeDispatchClient } from '@codedispatch/client';

/**
 * Clients of a service under test that record every HTTP status it answered,
 * in order. No retries: each call is one request, and its first answer counts.
 * `baseUrl` is read at each `client()` call (a restarted process has a new port).
 */
export const recordingClients = (
  baseUrl: () => string,
): { readonly answered: number[]; client(auth: Auth): CodeDispatchClient } => {
  const answered: number[] = [];
  return {
    answered,
    client: (auth) =>
      createClient({
        baseUrl: baseUrl(),
        auth,
        retry: false,
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          answered.push(res.status);
          return res;
        },
      }),
  };
};
