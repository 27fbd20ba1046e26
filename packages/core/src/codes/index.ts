/**
 * Codes (SPEC §5): the check characters, the code space, generation, parsing
 * and display. Pure: randomness comes in through `CodeRandom`.
 */
export { checkGeneratorSettings, MAX_CODE_LENGTH } from './format';
export { codeAt, codeSpaceSize, candidatesFromIndex, isTrivial, payloadLength } from './code-space';
export { generateCandidates } from './generator';
export { isValidCode, MAX_TYPED_LENGTH, normaliseTyped, parseCode, type CodeParseError } from './parser';
export { displayCode } from './display';
