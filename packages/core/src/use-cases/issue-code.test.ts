import * as E from 'fp-ts/Either';
import { areaId, orderId } from '../domain/ids';
import type { AssignmentDraft } from '../ports';
import { codeSpaceSize, parseCode } from '../codes';
import { areaSettings, InMemoryAssignmentRepository, SeededCodeRandom } from '../testing';
import { CodeIssuer } from './issue-code';

const generator = { length: 5, alphabet: '0123456789', checkDigit: 'damm' as const, group: [3, 2], forbidTrivial: true };
const area = areaSettings('big', { generator });
const draft = (id: string): AssignmentDraft => ({
  orderId: orderId(id),
  areaId: areaId('big'),
  userId: null,
  createdAt: new Date('2026-11-26T10:00:00.000Z'),
  expiresAt: new Date('2026-11-26T10:30:00.000Z'),
  actor: { kind: 'system' },
});

describe('CodeIssuer in a large space', () => {
  it('falls back to a systematic scan when random candidates keep colliding', async () => {
    const repository = new InMemoryAssignmentRepository();
    const insert = repository.insertWithFreshCode.bind(repository);
    const batches: number[] = [];
    // The first two (random) batches find nothing, as in an almost full area.
    repository.insertWithFreshCode = async (d, candidates, cutoff) => {
      batches.push(candidates.length);
      return batches.length <= 2 ? { kind: 'all_taken' } : insert(d, candidates, cutoff);
    };
    const issued = await new CodeIssuer(repository, new SeededCodeRandom(1)).issue(area, draft('o1'));
    expect(E.isRight(issued) && issued.right.kind).toBe('inserted');
    if (E.isRight(issued)) expect(E.isRight(parseCode(generator, issued.right.assignment.code))).toBe(true);
    expect(batches).toEqual([16, 1024, 4096]);
  });

  it("sizes an area's first batch by how its last ones fared: 128 after a miss, halved after 64 finds in a row", async () => {
    const repository = new InMemoryAssignmentRepository();
    const insert = repository.insertWithFreshCode.bind(repository);
    const firstBatches: number[] = [];
    let missNext = false;
    let fresh = true;
    repository.insertWithFreshCode = async (d, candidates, cutoff) => {
      if (fresh) firstBatches.push(candidates.length);
      fresh = false;
      if (missNext) {
        missNext = false;
        return { kind: 'all_taken' };
      }
      return insert(d, candidates, cutoff);
    };
    const issuer = new CodeIssuer(repository, new SeededCodeRandom(1));
    const other = { ...draft('x'), areaId: areaId('other') };
    let n = 0;
    const create = async (missFirst = false, d: AssignmentDraft = draft(`o${++n}`)) => {
      fresh = true;
      missNext = missFirst;
      expect(E.isRight(await issuer.issue(area, d))).toBe(true);
    };
    await create();
    await create(true); // its first batch misses: the next ones are 128
    for (let i = 0; i < 64; i++) await create();
    await create(); // 64 finds in a row: 64
    await create(false, { ...other, orderId: orderId('x1') }); // another area keeps its own
    expect(firstBatches.slice(0, 3)).toEqual([16, 16, 128]);
    expect(firstBatches.slice(-3)).toEqual([128, 64, 16]);
  });

  it('answers code_space_exhausted when the count says the space is full', async () => {
    const repository = new InMemoryAssignmentRepository();
    repository.insertWithFreshCode = async () => ({ kind: 'all_taken' });
    repository.countTakenCodes = async () => codeSpaceSize(generator);
    const issued = await new CodeIssuer(repository, new SeededCodeRandom(1)).issue(area, draft('o1'));
    expect(issued).toEqual(E.left({ code: 'code_space_exhausted', areaId: 'big' }));
  });

  it('answers code_space_exhausted after scanning the whole space in vain', async () => {
    const repository = new InMemoryAssignmentRepository();
    let calls = 0;
    repository.insertWithFreshCode = async () => {
      calls++;
      return { kind: 'all_taken' };
    };
    repository.countTakenCodes = async () => 0;
    const issued = await new CodeIssuer(repository, new SeededCodeRandom(1)).issue(area, draft('o1'));
    expect(E.isLeft(issued) && issued.left.code).toBe('code_space_exhausted');
    expect(calls).toBe(2 + Math.ceil(codeSpaceSize(generator) / 4096));
  });

  it('answers order_exists when the order was created meanwhile', async () => {
    const repository = new InMemoryAssignmentRepository();
    const issuer = new CodeIssuer(repository, new SeededCodeRandom(1));
    await issuer.issue(area, draft('o1'));
    const again = await issuer.issue(area, draft('o1'));
    expect(E.isRight(again) && again.right.kind).toBe('order_exists');
  });
});
