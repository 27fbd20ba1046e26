/**
 * Splits a JSON array (`mongoexport --jsonArray`, pretty-printed or not) into
 * the texts of its top-level elements without holding more than one element
 * in memory. It tracks strings (with escapes) and nesting, not JSON grammar:
 * an element that is not valid JSON is still cut out whole, with the line it
 * starts on, and fails later, when it is parsed.
 */

export interface DumpElement {
  /** 1-based line on which the element starts. */
  readonly line: number;
  readonly text: string;
  /** Not an element: a defect of the array itself (`text` says which). */
  readonly defect?: true;
}

/** A single element larger than this cannot be a MongoDB document (16 MiB of BSON). */
export const MAX_ELEMENT_CHARS = 64 * 1024 * 1024;

export class DumpFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'DumpFormatError';
  }
}

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const BOM = 0xfeff;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === BOM;

// Where the scanner is (plain numbers: this loop runs once per character).
const BEFORE_ARRAY = 0;
const BETWEEN_ELEMENTS = 1;
const IN_ELEMENT = 2;
const AFTER_ARRAY = 3;

export async function* splitJsonArray(chunks: AsyncIterable<string>): AsyncGenerator<DumpElement> {
  let state: number = BEFORE_ARRAY;
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: string[] = [];
  let size = 0;
  let startLine = 0;

  const take = (): DumpElement => {
    const element = { line: startLine, text: parts.join('').trim() };
    parts = [];
    size = 0;
    return element;
  };

  for await (const chunk of chunks) {
    // Start of the current element's text within this chunk, or -1.
    let from = state === IN_ELEMENT ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === NEWLINE) line++;
      switch (state) {
        case BEFORE_ARRAY:
          if (isSpace(c)) continue;
          if (c !== OPEN_BRACKET) throw new DumpFormatError('not a JSON array', line);
          state = BETWEEN_ELEMENTS;
          continue;
        case BETWEEN_ELEMENTS:
          if (isSpace(c) || c === COMMA) continue;
          if (c === CLOSE_BRACKET) {
            state = AFTER_ARRAY;
            continue;
          }
          state = IN_ELEMENT;
          startLine = line;
          depth = 0;
          inString = false;
          escaped = false;
          from = i;
          break; // this character belongs to the element
        case IN_ELEMENT:
          break;
        case AFTER_ARRAY:
          if (isSpace(c)) continue;
          yield { line, text: 'content after the end of the JSON array', defect: true };
          return;
      }

      // in an element
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && depth > 0) depth--;
      else if (depth === 0 && (c === COMMA || c === CLOSE_BRACKET)) {
        parts.push(chunk.slice(from, i));
        from = -1;
        yield take();
        state = c === COMMA ? BETWEEN_ELEMENTS : AFTER_ARRAY;
      }
    }
    if (from >= 0) {
      parts.push(chunk.slice(from));
      size += chunk.length - from;
      if (size > MAX_ELEMENT_CHARS) {
        throw new DumpFormatError(
          `an element starting here is longer than ${MAX_ELEMENT_CHARS} characters: the array is malformed`,
          startLine,
        );
      }
    }
  }

  if (state === IN_ELEMENT) {
    const element = take();
    if (element.text !== '') yield element;
  }
  if (state === BEFORE_ARRAY) throw new DumpFormatError('not a JSON array', line);
  if (state !== AFTER_ARRAY) yield { line, text: 'the JSON array is not closed (truncated file?)', defect: true };
}
