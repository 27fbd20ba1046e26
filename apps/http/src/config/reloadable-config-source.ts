import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import * as E from 'fp-ts/Either';
import { formatConfigIssues, type ConfigIssue } from '@codedispatch/core';
import type { Logger } from '../observability/logger';
import type { LoadedConfig } from './load-config';
import type { ServiceConfig, ServiceConfigSource } from './service-config';

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
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(config: ServiceConfig) => void>();

  constructor(
    initial: LoadedConfig,
    private readonly load: () => E.Either<readonly ConfigIssue[], LoadedConfig>,
    private readonly logger: Logger,
  ) {
    this.config = initial.config;
  }

  current(): ServiceConfig {
    return this.config;
  }

  /** Reads the document again; keeps the last good one when it is invalid. */
  reload(trigger = 'manual'): E.Either<readonly ConfigIssue[], ServiceConfig> {
    const loaded = this.load();
    if (E.isLeft(loaded)) {
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
