import * as E from 'fp-ts/Either';
import type { Assignment } from '../domain/assignment';
import type { AreaSettings, GeneratorSettings } from '../config/config';
import type { DomainError } from '../errors';
import type { AssignmentDraft, AssignmentRepository, CodeRandom } from '../ports';
import { candidatesFromIndex, codeSpaceSize, generateCandidates } from '../codes';

/**
 * Random candidates in an area's first round trip: few while they find a free
 * code (an area up to half full needs one or two; each costs a draw, a check
 * character and a parameter), as many as at 95 % use need once they did not:
 * all 128 are taken there with probability 0.14 %.
 */
const FIRST_BATCH_MIN = 16;
const FIRST_BATCH_MAX = 128;
/** First batches that found a free code before the area's next one is halved. */
const SHRINK_AFTER = 64;
const SECOND_BATCH = 1024;
/** A space this small is tried whole, shuffled, in one round trip. */
const SMALL_SPACE = 4096;
/** The systematic scan's chunk, when random candidates keep colliding. */
const SCAN_CHUNK = 4096;
const SMALL_SPACE_RETRIES = 3;

export type Issued =
  | { readonly kind: 'inserted'; readonly assignment: Assignment }
  | { readonly kind: 'order_exists'; readonly assignment: Assignment };

/**
 * Chooses a fresh code for a new assignment and inserts it, in as few round
 * trips as possible: a batch of random candidates per round trip (the
 * repository inserts the first free one), and when the area is nearly full, a
 * shuffled scan of the whole space, so a free code is always found and a full
 * space is reported as `code_space_exhausted` rather than looping.
 */
export class CodeIssuer {
  /** Per area: the size of the first batch, and how many in a row found a free code. A hint only, per instance. */
  private readonly firstBatches = new Map<string, { size: number; found: number }>();

  constructor(
    private readonly repository: AssignmentRepository,
    private readonly random: CodeRandom,
  ) {}

  async issue(area: AreaSettings, draft: AssignmentDraft): Promise<E.Either<DomainError, Issued>> {
    const generator = area.generator;
    const size = codeSpaceSize(generator);
    const cutoff = new Date(draft.createdAt.getTime() - area.codeReuseCooldownS * 1000);
    const exhausted = E.left<DomainError>({ code: 'code_space_exhausted', areaId: draft.areaId });

    let first = true;
    for (const batch of this.batches(generator, size, draft.areaId)) {
      const outcome = await this.repository.insertWithFreshCode(draft, batch, cutoff);
      if (first && size > SMALL_SPACE) this.firstBatchFound(draft.areaId, outcome.kind !== 'all_taken');
      first = false;
      if (outcome.kind !== 'all_taken') return E.right(outcome);
    }
    if (size <= SMALL_SPACE) {
      // Every code was tried; a concurrent create may have taken the last free
      // one in between, or released one. Only the count says the space is full.
      for (let i = 0; i < SMALL_SPACE_RETRIES; i++) {
        if ((await this.repository.countTakenCodes(draft.areaId, generator.length, cutoff)) >= size) return exhausted;
        const outcome = await this.repository.insertWithFreshCode(
          draft,
          this.shuffle(candidatesFromIndex(generator, 0, size)),
          cutoff,
        );
        if (outcome.kind !== 'all_taken') return E.right(outcome);
      }
      return exhausted;
    }

    const taken = await this.repository.countTakenCodes(draft.areaId, generator.length, cutoff);
    if (taken >= size) return exhausted;
    const start = this.random.int(size);
    for (let scanned = 0; scanned < size; scanned += SCAN_CHUNK) {
      const chunk = this.shuffle(candidatesFromIndex(generator, (start + scanned) % size, Math.min(SCAN_CHUNK, size - scanned)));
      const outcome = await this.repository.insertWithFreshCode(draft, chunk, cutoff);
      if (outcome.kind !== 'all_taken') return E.right(outcome);
    }
    return exhausted;
  }

  private *batches(generator: GeneratorSettings, size: number, area: string): Generator<readonly string[]> {
    if (size <= SMALL_SPACE) {
      // Shuffled, so that codes of a small space are not issued in order.
      yield this.shuffle(candidatesFromIndex(generator, 0, size));
      return;
    }
    yield generateCandidates(generator, this.random, this.firstBatches.get(area)?.size ?? FIRST_BATCH_MIN);
    yield generateCandidates(generator, this.random, SECOND_BATCH);
  }

  /**
   * A first batch all taken makes the area's next ones as large as at 95 %
   * use at once; a run of them finding a free code halves it again, down to
   * the minimum. At 95 % a first batch of 64 misses one time in 27, so a
   * full area settles between 64 and 128.
   */
  private firstBatchFound(area: string, found: boolean): void {
    const state = this.firstBatches.get(area) ?? { size: FIRST_BATCH_MIN, found: 0 };
    if (!found) {
      state.size = FIRST_BATCH_MAX;
      state.found = 0;
    } else if (++state.found >= SHRINK_AFTER && state.size > FIRST_BATCH_MIN) {
      state.size = Math.max(FIRST_BATCH_MIN, state.size / 2);
      state.found = 0;
    }
    this.firstBatches.set(area, state);
  }

  /** Fisher–Yates with the secure random port. */
  private shuffle(codes: readonly string[]): string[] {
    const out = [...codes];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      [out[i], out[j]] = [out[j] as string, out[i] as string];
    }
    return out;
  }
}
