/**
 * Email normalisation: one documented form for signup, login, reset and throttling. Variants of one
 * address (case, fullwidth and mathematical forms, a Unicode or punycode domain, a trailing dot) map to
 * one string; hostile inputs (CRLF, NUL, bidi overrides, 10 KB, two @, quoted local parts, IP literals,
 * mixed scripts) are an InvalidEmailError with a reason.
 */
import { describe, expect, it } from 'vitest';
import {
  InvalidEmailError,
  type InvalidEmailReason,
  isMixedScript,
  MAX_EMAIL_INPUT_LENGTH,
  normalizeEmail,
} from '../../src/accounts/index.js';

function refusal(input: unknown, options?: Parameters<typeof normalizeEmail>[1]) {
  try {
    normalizeEmail(input, options);
  } catch (error) {
    return error as InvalidEmailError;
  }
  throw new Error('expected a refusal');
}

describe('one address, one string', () => {
  it.each([
    'ada@example.com',
    'ADA@EXAMPLE.COM',
    'Ada@Example.Com',
    'ada@example.com.',
    '  ada@example.com\t',
    '\tAda@Example.COM. ',
    'ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ',
    'ＡＤＡ＠ＥＸＡＭＰＬＥ．ＣＯＭ',
    '𝐚𝐝𝐚@𝐞𝐱𝐚𝐦𝐩𝐥𝐞.𝐜𝐨𝐦',
    '𝖆𝖉𝖆@example.com',
    'ada\uFE6Bexample.com', // small commercial at
    'ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ\u3000', // an ideographic space typed after it
    'ada@example\u3002com', // ideographic full stop
  ])('%j is ada@example.com', (input) => {
    expect(normalizeEmail(input)).toBe('ada@example.com');
  });

  it.each([
    'ada@bücher.de',
    'ada@BÜCHER.DE',
    'ada@bu\u0308cher.de', // decomposed ü
    'ada@xn--bcher-kva.de',
    'ADA@XN--BCHER-KVA.DE',
    'ada@ｂüｃｈｅｒ.ｄｅ',
  ])('%j stores the punycode domain ada@xn--bcher-kva.de', (input) => {
    expect(normalizeEmail(input)).toBe('ada@xn--bcher-kva.de');
  });

  it('keeps a ligature-free, ASCII address as is', () => {
    expect(normalizeEmail("o'brien+news_1.x@mail.example.co.uk")).toBe("o'brien+news_1.x@mail.example.co.uk");
    expect(normalizeEmail('\uFB01sh@example.com')).toBe('fish@example.com');
  });

  it('accepts unicode local parts (SMTPUTF8) of one script', () => {
    expect(normalizeEmail('Иван@пример.рф')).toBe('иван@xn--e1afmkfd.xn--p1ai');
    expect(normalizeEmail('δοκιμή@παράδειγμα.δοκιμή')).toBe('δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp');
    expect(normalizeEmail('ユーザー名@例え.jp')).toBe('ユーザー名@xn--r8jz45g.jp'); // Katakana + Han
    expect(normalizeEmail('user東京@example.jp')).toBe('user東京@example.jp'); // Latin + Han
    expect(normalizeEmail('김철수kim@example.kr')).toBe('김철수kim@example.kr'); // Hangul + Latin
    expect(normalizeEmail('иван2024@example.com')).toBe('иван2024@example.com'); // digits are neutral
  });
});

describe('local-part policy', () => {
  it("'preserve' keeps the case of the local part, never of the domain", () => {
    expect(normalizeEmail('Ada.Lovelace@EXAMPLE.com', { localPart: 'preserve' })).toBe(
      'Ada.Lovelace@example.com',
    );
    expect(normalizeEmail('ＡＤＡ＠ｅｘａｍｐｌｅ．ｃｏｍ', { localPart: 'preserve' })).toBe(
      'ADA@example.com',
    );
  });

  it("'lowercase' is the default", () => {
    expect(normalizeEmail('Ada@example.com', { localPart: 'lowercase' })).toBe('ada@example.com');
    expect(normalizeEmail('Ada@example.com', {})).toBe('ada@example.com');
  });

  it('a function sees the checked local part and its result is checked again', () => {
    const dropTag = (local: string) => local.toLowerCase().replace(/\+.*$/, '');
    expect(normalizeEmail('Ada+News@example.com', { localPart: dropTag })).toBe('ada@example.com');
    expect(refusal('+news@example.com', { localPart: dropTag }).reason).toBe('syntax'); // empty after it
    expect(refusal('ada@example.com', { localPart: () => 'a..b' }).reason).toBe('syntax');
    expect(refusal('ada@example.com', { localPart: () => 'x'.repeat(65) }).reason).toBe('too-long');
    expect(refusal('ada@example.com', { localPart: () => 'аda' }).reason).toBe('mixed-script');
  });

  it.each([
    ['an unknown policy', { localPart: 'upper' }],
    ['an unknown option', { localpart: 'preserve' }],
    ['a non-object', 'preserve'],
    ['null', null],
  ])('refuses %s as ERR_INVALID_ARGUMENT', (_, options) => {
    expect(refusal('ada@example.com', options as never)).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('refuses a policy function that returns a non-string', () => {
    expect(refusal('ada@example.com', { localPart: () => 42 as never })).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});

/** Hostile inputs: each one an InvalidEmailError with this reason. */
const HOSTILE: readonly [string, unknown, InvalidEmailReason][] = [
  ['a number', 42, 'not-a-string'],
  ['null', null, 'not-a-string'],
  ['an object', { toString: () => 'ada@example.com' }, 'not-a-string'],
  ['an array', ['ada@example.com'], 'not-a-string'],
  ['10 KB', `${'a'.repeat(10_240)}@example.com`, 'too-long'],
  ['10 KB of blanks around a valid address', `${' '.repeat(10_240)}ada@example.com`, 'too-long'],
  ['1025 characters', 'a'.repeat(MAX_EMAIL_INPUT_LENGTH + 1), 'too-long'],
  ['a trailing CRLF', 'ada@example.com\r\n', 'control-character'],
  ['CRLF header injection', 'ada@example.com\r\nBcc: victim@example.com', 'control-character'],
  ['a bare LF', 'ada@example.com\nx', 'control-character'],
  ['a leading CR', '\rada@example.com', 'control-character'],
  ['NUL', 'ada\u0000@example.com', 'control-character'],
  ['a trailing NUL', 'ada@example.com\u0000', 'control-character'],
  ['DEL', 'ada\u007F@example.com', 'control-character'],
  ['NEL (C1)', 'ada@example.com\u0085', 'control-character'],
  ['a C1 control', 'ada\u009B@example.com', 'control-character'],
  ['the line separator', 'ada@example.com\u2028', 'control-character'],
  ['the paragraph separator', 'ada\u2029@example.com', 'control-character'],
  ['an RTL override', 'ada\u202E@example.com', 'control-character'],
  ['an RTL override in the domain', 'ada@exa\u202Emple.com', 'control-character'],
  ['an isolate', 'ada@\u2066example.com', 'control-character'],
  ['a zero-width space', 'ada\u200B@example.com', 'control-character'],
  ['a zero-width joiner', 'a\u200Dda@example.com', 'control-character'],
  ['a soft hyphen in the domain', 'ada@exam\u00ADple.com', 'control-character'],
  ['a BOM', '\uFEFFada@example.com', 'control-character'],
  ['a lone surrogate', 'ada\uD800@example.com', 'syntax'],
  ['a lone low surrogate', 'ada@example.com\uDC00', 'syntax'],
  ['no @', 'ada.example.com', 'syntax'],
  ['two @', 'ada@evil@example.com', 'syntax'],
  ['a fullwidth second @', 'ada@evil＠example.com', 'syntax'],
  ['a quoted local part', '"ada lovelace"@example.com', 'syntax'],
  ['a quoted @', '"ada@home"@example.com', 'syntax'],
  ['a comment', 'ada(comment)@example.com', 'syntax'],
  ['an inner space', 'ada lovelace@example.com', 'syntax'],
  ['an inner tab', 'ada\t@example.com', 'syntax'],
  ['an empty local part', '@example.com', 'syntax'],
  ['a leading dot', '.ada@example.com', 'syntax'],
  ['a trailing dot in the local part', 'ada.@example.com', 'syntax'],
  ['a double dot', 'ada..lovelace@example.com', 'syntax'],
  ['an emoji local part', '\u{1F600}@example.com', 'syntax'],
  ['a backslash', 'ada\\@example.com', 'syntax'],
  ['angle brackets', '<ada@example.com>', 'syntax'],
  ['an empty string', '', 'syntax'],
  ['a 65-byte local part', `${'a'.repeat(65)}@example.com`, 'too-long'],
  ['a 66-byte unicode local part', `${'é'.repeat(33)}@example.com`, 'too-long'],
  ['no domain', 'ada@', 'domain'],
  ['a one-label domain', 'ada@localhost', 'domain'],
  ['an IPv4 literal', 'ada@[127.0.0.1]', 'domain'],
  ['an IPv6 literal', 'ada@[IPv6:::1]', 'domain'],
  ['an IPv4 address', 'ada@127.0.0.1', 'domain'],
  ['a hex IPv4', 'ada@0x7f.1', 'domain'],
  ['a numeric top-level label', 'ada@example.123', 'domain'],
  ['an empty label', 'ada@example..com', 'domain'],
  ['two trailing dots', 'ada@example.com..', 'domain'],
  ['a leading dot in the domain', 'ada@.example.com', 'domain'],
  ['a leading hyphen', 'ada@-example.com', 'domain'],
  ['a trailing hyphen', 'ada@example-.com', 'domain'],
  ['an underscore', 'ada@exa_mple.com', 'domain'],
  ['percent-encoding', 'ada@exa%6Dple.com', 'domain'],
  ['a port', 'ada@example.com:25', 'domain'],
  ['a path', 'ada@example.com/x', 'domain'],
  ['invalid punycode', 'ada@xn--zz.com', 'domain'],
  ['a 64-byte label', `ada@${'a'.repeat(64)}.com`, 'too-long'],
  [
    'a 254-byte domain',
    `ada@${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`,
    'too-long',
  ],
  [
    'a 255-byte address',
    `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`,
    'too-long',
  ],
  ['a Cyrillic а in a Latin local part', 'p\u0430ypal@example.com', 'mixed-script'],
  ['a Cyrillic а in a Latin domain', 'ada@p\u0430ypal.com', 'mixed-script'],
  ['a Greek ο in a Latin domain', 'ada@g\u03BFogle.com', 'mixed-script'],
  ['a Latin a in a Cyrillic local part', 'иaн@example.com', 'mixed-script'],
  ['Arabic-Indic digits in a Latin local part', 'ali\u0663@example.com', 'mixed-script'],
  ['Cyrillic with Han', 'иван東京@example.com', 'mixed-script'],
  ['a mixed-script punycode label', 'ada@xn--pple-43d.com', 'mixed-script'],
];

describe('hostile inputs', () => {
  it.each(HOSTILE)('%s is refused (%j)', (_, input, reason) => {
    const e = refusal(input);
    expect(e).toBeInstanceOf(InvalidEmailError);
    expect(e).toMatchObject({ code: 'ERR_ACCOUNTS_INVALID_EMAIL', reason });
    if (typeof input === 'string' && input.length > 3) expect(e.message).not.toContain(input);
  });

  it('takes the limits at their edge', () => {
    expect(normalizeEmail(`${'a'.repeat(64)}@example.com`)).toHaveLength(76);
    expect(normalizeEmail(`${'é'.repeat(32)}@example.com`)).toBe(`${'é'.repeat(32)}@example.com`); // 64 bytes
    expect(normalizeEmail(`ada@${'a'.repeat(63)}.com`)).toHaveLength(71);
    // with at least 'x@' in front, the 254-byte address cap leaves a domain 252 bytes at most
    const domain252 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(56)}.com`;
    expect(domain252).toHaveLength(252);
    expect(normalizeEmail(`x@${domain252}`)).toBe(`x@${domain252}`);
    expect(refusal(`x@d${domain252}`).reason).toBe('too-long');
    const domain189 = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    expect(normalizeEmail(`${'a'.repeat(64)}@${domain189}`)).toHaveLength(254);
    const padded = ` ${'a'.repeat(10)}@example.com`.padEnd(MAX_EMAIL_INPUT_LENGTH, ' ');
    expect(normalizeEmail(padded)).toBe(`${'a'.repeat(10)}@example.com`);
  });

  it('a whole-script confusable passes: one script, nothing to fold (documented limitation)', () => {
    expect(normalizeEmail('ada@\u0430\u0440\u0440\u04CF\u0435.com')).toBe('ada@xn--80ak6aa92e.com');
  });
});

describe('isMixedScript', () => {
  it.each([
    ['ada', false],
    ['ada.lovelace+1', false],
    ['иван', false],
    ['ユーザー名', false],
    ['user東京', false],
    ['漢字ひらがなカタカナlatin', false],
    ['注音ㄅㄆ', false],
    ['김철수', false],
    ['', false],
    ['pаypal', true],
    ['gοogle', true],
    ['ابc', true],
    ['한자カタカナ', true],
    ['אבגד-abcd', true],
  ])('%j → %s', (value, mixed) => {
    expect(isMixedScript(value)).toBe(mixed);
  });
});
