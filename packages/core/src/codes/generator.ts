import type { GeneratorSettings } from '../config/config';
import type { CodeRandom } from '../ports';
import { codeSpaceSize, indexDrawer, isTrivial } from './code-space';
import { complete, formatOrThrow, type CodeFormat } from './format';

/**
 * Draws beyond `count` before giving up, so a tiny or nearly exhausted space
 * cannot loop for long; the caller scans with `candidatesFromIndex` then.
 */
const DRAWS_PER_CODE = 4;
const EXTRA_DRAWS = 32;

const draw = (format: CodeFormat, random: CodeRandom): string[] =>
  Array.from({ length: format.payloadLength }, () => {
    const i = random.int(format.chars.length);
    const c = format.chars[i];
    if (c === undefined) throw new Error(`CodeRandom.int(${format.chars.length}) returned ${i}`);
    return c;
  });

/** One random code, or null when it is a trivial one that may not be issued. */
const drawerFor = (settings: GeneratorSettings): ((random: CodeRandom) => string | null) => {
  const byIndex = indexDrawer(settings);
  if (byIndex !== undefined) return byIndex;
  const format = formatOrThrow(settings);
  return (random) => {
    const code = complete(format, draw(format, random));
    return settings.forbidTrivial && isTrivial(settings, code) ? null : code;
  };
};

/**
 * Up to `count` distinct random codes, check character included, never a
 * trivial one when those are forbidden. Codes are uniform over the whole
 * space whatever its size (one draw of the payload's index, or for spaces of
 * 2^48 payloads and more one draw per character); rejecting trivial codes
 * keeps them uniform over the rest.
 */
export const generateCandidates = (settings: GeneratorSettings, random: CodeRandom, count: number): string[] => {
  const next = drawerFor(settings);
  const wanted = Math.min(Number.isFinite(count) ? Math.floor(count) : 0, codeSpaceSize(settings));
  const codes = new Set<string>();
  for (let draws = 0; codes.size < wanted && draws < wanted * DRAWS_PER_CODE + EXTRA_DRAWS; draws++) {
    const code = next(random);
    if (code !== null) codes.add(code);
  }
  return [...codes];
};
