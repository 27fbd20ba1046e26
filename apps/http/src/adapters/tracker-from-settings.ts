import type { DriverTracker } from '@codedispatch/core';
import { InMemoryDriverTracker } from '@codedispatch/core/testing';
import { HttpDriverTracker, type HttpDriverTrackerOptions } from '@codedispatch/tracker-http';
import type { TrackerSettings } from '../config/service-config';

/** The tracker the configuration names (`tracker.kind`): memory acquires every driver (demos, tests); http speaks docs/tracker-protocol.md. */
export const trackerFromSettings = (
  settings: TrackerSettings,
  onOutcome: NonNullable<HttpDriverTrackerOptions['onOutcome']>,
): DriverTracker => {
  switch (settings.kind) {
    case 'memory':
      return new InMemoryDriverTracker();
    case 'http':
      return new HttpDriverTracker({ url: settings.url, timeoutMs: settings.timeoutMs, onOutcome });
    default: {
      const never: never = settings;
      throw new Error(`unknown tracker ${JSON.stringify(never)}`);
    }
  }
};
