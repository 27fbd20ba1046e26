import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import * as E from 'fp-ts/Either';
import { formatConfigIssues, type ConfigIssue } from '@codedispatch/core';
import type { Logger } from '../observability/logger';
import type { LoadedConfig } from './load-config';
import type { ConfigReload, ConfigStatus, ServiceConfig, ServiceConfigSource } from './service-config';

/** What a reload changes only at the next start (adapters are chosen once). */
const restartOnly = (before: ServiceConfig, after: ServiceConfig): string[] => [
  ...(JSON.stringify(before.tracker) !== JSON.stringify(after.tracker) ? ['tracker'] : []),
  ...(JSON.stringify(before.processingQueue) !== JSON.stringify(after.processingQueue) ? ['processing_queue'] : []),
];

/**
 * The configuration in force, reloadable (SPEC §8): on SIGHUP (`reload()`)
 * and when the file changes (`watchFile()`, debounced). A document that fails
 * validation is refused with every issue logged, and the last good one stays.
 */
export class ReloadableConfigSource implements ServiceConfigSource {
  private config: ServiceConfig;
  private readonly initial: ServiceConfig;
  private readonly origin: LoadedConfig['origin'];
  private inForce: { readonly version: string; readonly loadedAt: Date };
  private lastReload: ConfigReload | null = null;
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(config: ServiceConfig) => void>();

  constructor(
    initial: LoadedConfig,
    private readonly load: () => E.Either<readonly ConfigIssue[], LoadedConfig>,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.config = initial.config;
    this.initial = initial.config;
    this.origin = initial.origin;
    this.inForce = { version: initial.version, loadedAt: now() };
  }

  status(): ConfigStatus {
    return {
      origin: this.origin,
      version: this.inForce.version,
      loadedAt: this.inForce.loadedAt,
      lastReload: this.lastReload,
      appliesAtRestart: restartOnly(this.initial, this.config),
    };
  }

  current(): ServiceConfig {
    return this.config;
  }

  /** Reads the document again; keeps the last good one when it is invalid. */
  reload(trigger = 'manual'): E.Either<readonly ConfigIssue[], ServiceConfig> {
    const loaded = this.load();
    const at = this.now();
    if (E.isLeft(loaded)) {
      this.lastReload = { at, trigger, outcome: 'refused', issues: loaded.left.map(({ path, message }) => ({ path, message })) };
      this.logger.error('configuration refused; the last good one stays in force', {
        trigger,
        issues: loaded.left,
        issue_count: loaded.left.length,
        text: formatConfigIssues(loaded.left),
      });
      for (const issue of loaded.left)
        this.logger.error('configuration issue', { trigger, path: issue.path, reason: issue.message });
      return E.left(loaded.left);
    }
    const before = this.config;
    this.config = loaded.right.config;
    this.inForce = { version: loaded.right.version, loadedAt: at };
    this.lastReload = { at, trigger, outcome: 'applied', issues: [] };
    const pending = restartOnly(before, this.config);
    this.logger.info('configuration reloaded', { trigger, ...(pending.length > 0 ? { applies_at_restart: pending } : {}) });
    for (const listener of this.listeners) listener(this.config);
    return E.right(this.config);
  }

  onReload(listener: (config: ServiceConfig) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Reloads when the file changes. Watches the directory, not the file, so
   * an editor or a ConfigMap that replaces the file is still seen.
   */
  watchFile(path: string, debounceMs = 250): void {
    this.stopWatching();
    const file = basename(path);
    try {
      this.watcher = watch(dirname(resolve(path)), { persistent: false }, (_event, changed) => {
        if (changed !== null && changed !== file && !changed.startsWith('..')) return;
        if (this.debounce !== null) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => {
          this.debounce = null;
          this.reload('file change');
        }, debounceMs);
      });
      this.watcher.on('error', (e) => this.logger.warn('configuration watch failed; reload with SIGHUP', { error: e.message }));
    } catch (e) {
      this.logger.warn('cannot watch the configuration file; reload with SIGHUP', { error: (e as Error).message });
    }
  }

  stopWatching(): void {
    if (this.debounce !== null) clearTimeout(this.debounce);
    this.debounce = null;
    this.watcher?.close();
    this.watcher = null;
  }
}
