import type { GeneratorSettings } from '../config/config';

/**
 * A code as shown to the passenger: `settings.group` sized groups joined by a
 * space ("482918", [3, 3] -> "482 918"). A code of another length (a legacy
 * code imported from MongoDB) is shown as it is.
 */
export const displayCode = (settings: GeneratorSettings, code: string): string => {
  const chars = [...code];
  const { group } = settings;
  const sum = group.reduce((a, b) => a + b, 0);
  if (sum !== chars.length || !group.every((g) => Number.isInteger(g) && g > 0)) return code;
  let at = 0;
  return group
    .map((g) => {
      at += g;
      return chars.slice(at - g, at).join('');
    })
    .join(' ');
};
