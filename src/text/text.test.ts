// Log-safe text (issue 6, hostile input): control, bidi and separator characters never reach a
// log line raw, and a huge field cannot become a huge log line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LOG_FIELD_MAX_CHARS, loggable, loggableDeep, printable } from './text.ts';

// The definitions without the printable-ASCII shortcut, to check the shortcut changes nothing.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/gu;
const slowPrintable = (text: string): string => text.replace(UNPRINTABLE, '');
const slowLoggable = (text: string): string => text.replace(UNPRINTABLE, (ch) => `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`);

describe('the printable-ASCII shortcut', () => {
  it('gives what the full Unicode scan gives, for every string (property)', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 40 }));
    fc.assert(
      fc.property(text, (t) => {
        assert.equal(printable(t), slowPrintable(t));
        assert.equal(loggable(t), slowLoggable(t));
      }),
      { numRuns: 20_000 },
    );
  });

  it('still cleans every ASCII control character, DEL included', () => {
    for (let c = 0; c < 0x80; c++) {
      const ch = String.fromCharCode(c);
      const control = c < 0x20 || c === 0x7f;
      assert.equal(printable(`a${ch}b`), control ? 'ab' : `a${ch}b`, `U+${c.toString(16)}`);
    }
  });
});

describe('log fields', () => {
  it('turns NUL, newlines, ANSI escapes, right-to-left marks and line separators into visible \\u{…} escapes', () => {
    assert.equal(loggable('a\u0000b\nc\u001b[31md\u200fe\u202ef\u2028g'), 'a\\u{0}b\\u{a}c\\u{1b}[31md\\u{200f}e\\u{202e}f\\u{2028}g');
  });

  it('keeps printable text as it is, accents and emoji included', () => {
    assert.equal(loggable('système:é 🚀 "quoted" \\'), 'système:é 🚀 "quoted" \\');
  });

  it('keeps a field of exactly 1024 characters whole and cuts a longer one to 1024 characters and "..."', () => {
    const whole = 'x'.repeat(LOG_FIELD_MAX_CHARS);
    assert.equal(loggable(whole), whole);
    assert.equal(loggable(`${whole}TAIL`), `${whole}...`);
  });

  it('escapes every string and every key of a JSON value, and keeps numbers, booleans and null', () => {
    const value = { 'k\n': ['v\u202e', 1, true, null, { inner: 'x\u0000' }], plain: 2 };
    assert.deepEqual(loggableDeep(value), { 'k\\u{a}': ['v\\u{202e}', 1, true, null, { inner: 'x\\u{0}' }], plain: 2 });
  });

  it('escapes values down to 32 levels and passes deeper ones through, so 100,000 levels cannot overflow the stack', () => {
    const nested = (levels: number): unknown => {
      let value: unknown = ['\n'];
      for (let i = 1; i < levels; i++) value = [value];
      return value;
    };
    const innermost = (value: unknown): unknown => (Array.isArray(value) && Array.isArray(value[0]) ? innermost(value[0]) : value);
    assert.deepEqual(innermost(loggableDeep(nested(33))), ['\\u{a}']); // arrays at depths 0..32
    assert.deepEqual(innermost(loggableDeep(nested(34))), ['\n']); // the array at depth 33 is passed through
    assert.doesNotThrow(() => loggableDeep(nested(100_000)));
  });

  it('caps nested objects at the same 32 levels as nested lists', () => {
    const nested = (levels: number): unknown => {
      let value: unknown = { leaf: '\n' };
      for (let i = 1; i < levels; i++) value = { next: value };
      return value;
    };
    const innermost = (value: unknown): unknown => {
      let v = value as { next?: unknown };
      while (v.next !== undefined) v = v.next as { next?: unknown };
      return v;
    };
    assert.deepEqual(innermost(loggableDeep(nested(33))), { leaf: '\\u{a}' }); // objects at depths 0..32
    assert.deepEqual(innermost(loggableDeep(nested(34))), { leaf: '\n' }); // the object at depth 33 is passed through
    assert.doesNotThrow(() => loggableDeep(nested(100_000)));
  });
});
