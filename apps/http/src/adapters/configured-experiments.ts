import { OpenFeature, type Client } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { ConfigExperiments, type AreaId, type Experiments } from '@codedispatch/core';
import type { ExperimentProvider, ServiceConfigSource } from '../config/service-config';
import { OpenFeatureExperiments } from './open-feature-experiments';

/** The OpenFeature domain the configured provider is registered under (a domain keeps it apart from an embedder's own). */
export const OFREP_DOMAIN = 'codedispatch-ofrep';

/**
 * The one experiment `code_dispatch` (SPEC §8), as the configuration in force
 * says: first the document's rules (`enabled`, the allow-list, `deny_users`,
 * `rollout_percent`); when they say on, the flag of an OpenFeature provider
 * too, if there is one — an OFREP flag service named by
 * `experiment.provider`, or a client the embedder hands in. The provider can
 * narrow the rollout, never widen it, so `enabled: false` stays the kill
 * switch whatever the flag service says, and a flag service that is down or
 * slow answers off (fail closed).
 */
export class ConfiguredExperiments implements Experiments {
  private readonly rules: ConfigExperiments;
  private ofrep: { readonly key: string; readonly experiments: Promise<OpenFeatureExperiments> } | null = null;

  constructor(
    private readonly config: ServiceConfigSource,
    /** Asked instead of `experiment.provider` (an embedder's own OpenFeature client). */
    private readonly client?: Client,
  ) {
    this.rules = new ConfigExperiments(config);
  }

  async isCodeDispatchEnabled(areaId: AreaId, userKey: string): Promise<boolean> {
    if (!(await this.rules.isCodeDispatchEnabled(areaId, userKey))) return false;
    if (this.client !== undefined) return new OpenFeatureExperiments(this.client).isCodeDispatchEnabled(areaId, userKey);
    const provider = this.config.current().experiment.provider;
    if (provider === null) return true;
    try {
      return await (await this.ofrepFor(provider)).isCodeDispatchEnabled(areaId, userKey);
    } catch {
      this.ofrep = null; // the provider could not start: try a fresh one next time
      return false;
    }
  }

  /** One provider per URL and timeout: a reload that changes either registers a new one. */
  private ofrepFor(provider: ExperimentProvider): Promise<OpenFeatureExperiments> {
    const key = `${provider.url} ${provider.timeoutMs}`;
    if (this.ofrep?.key !== key) {
      const ofrep = new OFREPProvider({
        baseUrl: provider.url,
        // The SDK has no timeout of its own: a hanging flag service must not hold a create.
        fetchImplementation: (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
          fetch(input, { ...init, signal: AbortSignal.timeout(provider.timeoutMs) }),
      });
      const experiments = OpenFeature.setProviderAndWait(OFREP_DOMAIN, ofrep).then(
        () => new OpenFeatureExperiments(OpenFeature.getClient(OFREP_DOMAIN)),
      );
      this.ofrep = { key, experiments };
    }
    return this.ofrep.experiments;
  }
}
