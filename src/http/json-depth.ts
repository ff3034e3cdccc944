/**
 * The nesting depth of a JSON text, found in one pass over its characters without recursion and
 * without parsing, so that a body nested thousands of levels deep is refused before anything
 * (JSON.parse, the validator, the idempotency fingerprint) walks it. Config `jsonMaxDepth`.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether objects and arrays in `text` nest deeper than `max` levels (`{}` is 1, `[{}]` is 2).
 * Brackets inside strings do not count. On text that is not JSON the answer is only as good as
 * the brackets are; JSON.parse refuses such text anyway.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  // Nesting deeper than max takes more than max opening brackets.
  if (text.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}
