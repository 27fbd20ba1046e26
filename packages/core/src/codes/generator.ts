import type { GeneratorSettings } from '../config/config';
import type { CodeRandom } from '../ports';
import { codeSpaceSize, isTrivial } from './code-space';
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

/**
 * Up to `count` distinct random codes, check character included, never a
 * trivial one when those are forbidden. Each payload character is drawn on its
 * own, so codes are uniform over the whole space whatever its size; rejecting
 * trivial codes keeps them uniform over the rest.
 */
export const generateCandidates = (settings: GeneratorSettings, random: CodeRandom, count: number): string[] => {
  const format = formatOrThrow(settings);
  const wanted = Math.min(Number.isFinite(count) ? Math.floor(count) : 0, codeSpaceSize(settings));
  const codes = new Set<string>();
  for (let draws = 0; codes.size < wanted && draws < wanted * DRAWS_PER_CODE + EXTRA_DRAWS; draws++) {
    const code = complete(format, draw(format, random));
    if (!(settings.forbidTrivial && isTrivial(settings, code))) codes.add(code);
  }
  return [...codes];
};
