/**
 * The password policy: lengths in code points after NFKC, the byte cap on the raw input first, every
 * character allowed, no composition rules, and the breach step failing open. Hostile inputs: 1 MB
 * passwords, NUL bytes, lone surrogates, NFKC expansion (U+FDFA), non-strings.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BreachChecker,
  type BreachCheckResult,
  createPasswordPolicy,
  PasswordPolicyError,
} from '../../src/accounts/index.js';
import { createMemoryMetrics } from '../../src/testing/index.js';

/** The `{ code, reason, limit }` that `fn` threw (fails if it did not throw). */
function thrown(fn: () => unknown): { code?: string; reason?: string; limit?: number; message: string } {
  try {
    fn();
  } catch (error) {
    const e = error as { code?: string; reason?: string; limit?: number; message: string };
    return { code: e.code, reason: e.reason, limit: e.limit, message: e.message };
  }
  throw new Error('expected a throw');
}

async function rejected(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return error as PasswordPolicyError;
  }
  throw new Error('expected a rejection');
}

/** A BreachChecker that answers from a fixed table and records what it was asked. */
function tableChecker(answer: (password: string) => BreachCheckResult | Promise<BreachCheckResult>) {
  const asked: string[] = [];
  const checker: BreachChecker = {
    kind: 'table',
    async check(password) {
      asked.push(password);
      return answer(password);
    },
  };
  return { checker, asked };
}

const policy = createPasswordPolicy();

describe('settings', () => {
  it('are the documented defaults, frozen', () => {
    expect(policy.settings).toEqual({
      minLength: 15,
      minLengthWithMfa: 8,
      maxLength: 128,
      maxBytes: 1024,
      normalization: 'NFKC',
      lengthUnit: 'code points',
      compositionRules: false,
      breachChecker: null,
      rejectBreached: true,
    });
    expect(Object.isFrozen(policy.settings)).toBe(true);
  });

  it.each([
    [{ maxLength: 63 }, '`maxLength` must be an integer in 64..4096, got 63'],
    [{ minLength: 7 }, '`minLength` must be an integer in 8..4096, got 7'],
    [{ minLengthWithMfa: 7 }, '`minLengthWithMfa`'],
    [{ minLengthWithMfa: 16 }, '`minLengthWithMfa` must be at most `minLength`, got 16'],
    [{ minLength: 200 }, '`minLength` must be at most `maxLength`, got 200'],
    [{ maxBytes: 511 }, '`maxBytes` must be at least 4 × `maxLength` (512), got 511'],
    [{ maxLength: 512 }, '`maxBytes` must be at least 4 × `maxLength` (2048), got 1024'],
    [{ breachChecker: { kind: 'x' } }, '`breachChecker` must be an object with check()'],
    [{ rejectBreached: 'yes' }, '`rejectBreached` must be a boolean'],
    [{ minlength: 10 }, 'unknown option `minlength`'],
  ])('refuses %o at construction', (options, message) => {
    const e = thrown(() => createPasswordPolicy(options as never));
    expect(e.code).toBe('ERR_INVALID_OPTION');
    expect(e.message).toContain(message);
  });

  it('accepts a consistent custom policy and shows it', () => {
    const custom = createPasswordPolicy({
      minLength: 12,
      minLengthWithMfa: 10,
      maxLength: 256,
      maxBytes: 2048,
    });
    expect(custom.settings).toMatchObject({
      minLength: 12,
      minLengthWithMfa: 10,
      maxLength: 256,
      maxBytes: 2048,
    });
    expect(custom.check('a'.repeat(12))).toBe('a'.repeat(12));
  });
});

describe('lengths', () => {
  it('needs 15 code points without MFA and 8 with', () => {
    expect(thrown(() => policy.check('a'.repeat(14)))).toMatchObject({
      code: 'ERR_ACCOUNTS_PASSWORD_POLICY',
      reason: 'too-short',
      limit: 15,
    });
    expect(policy.check('a'.repeat(15))).toBe('a'.repeat(15));
    expect(policy.check('a'.repeat(8), { mfa: true })).toBe('a'.repeat(8));
    expect(thrown(() => policy.check('a'.repeat(7), { mfa: true }))).toMatchObject({
      reason: 'too-short',
      limit: 8,
    });
    expect(thrown(() => policy.check('a'.repeat(8), { mfa: false }))).toMatchObject({ reason: 'too-short' });
    expect(thrown(() => policy.check('a'.repeat(8), {}))).toMatchObject({ reason: 'too-short' });
  });

  it('allows at least 64 and up to maxLength, no more', () => {
    expect(policy.check('b'.repeat(64))).toHaveLength(64);
    expect(policy.check('b'.repeat(128))).toHaveLength(128);
    expect(thrown(() => policy.check('b'.repeat(129)))).toMatchObject({ reason: 'too-long', limit: 128 });
  });

  it('counts code points, not UTF-16 units', () => {
    const grin = '\u{1F600}'; // two UTF-16 units, one code point
    expect(policy.check(grin.repeat(15))).toBe(grin.repeat(15));
    expect(thrown(() => policy.check(grin.repeat(14)))).toMatchObject({ reason: 'too-short' });
    expect(policy.check(grin.repeat(128))).toHaveLength(256);
    expect(thrown(() => policy.check(grin.repeat(129)))).toMatchObject({ reason: 'too-long' });
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'; // one glyph, five code points
    expect(policy.check(family.repeat(3))).toBe(family.repeat(3)); // 15 code points
    expect(thrown(() => policy.check(`${family.repeat(2)}abcd`))).toMatchObject({ reason: 'too-short' });
  });

  it('has no composition rules', () => {
    for (const password of ['aaaaaaaaaaaaaaa', '123456789012345', '               ', 'lowercaseonlyxx']) {
      expect(policy.check(password)).toBe(password);
    }
  });
});

describe('characters', () => {
  it.each([
    ['NUL', 'abc\u0000def\u0000ghijklmn'],
    ['C0 controls and DEL', 'tab\tnewline\ncr\r\u0001\u007F-more'],
    ['C1 and separators', 'x\u0085\u2028\u2029yzabcdefghijk'],
    ['bidi override and zero-width', 'pass\u202Eword\u200B\u200D\uFEFFabcde'],
    ['emoji and CJK', '\u{1F511}パスワード密码비밀번호\u{1F510}!!'],
    ['private use and noncharacters', '\uE000\uF8FF\uFFFE\uFFFF\u{10FFFF}abcdefghijk'],
  ])('keeps %s (accepts all characters, strips none)', (_, password) => {
    expect(password.normalize('NFKC')).toBe(password); // these are NFKC-stable, so the output must be the input
    expect(policy.check(password)).toBe(password);
  });

  it('normalises with NFKC before measuring: the result is what is hashed', () => {
    expect(policy.check('ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ')).toBe('correct horse battery');
    expect(policy.check('pass\u00A0phrase\u3000long')).toBe('pass phrase long'); // spaces of other widths
    expect(policy.check('\uFB01rst\uFB01rst\uFB01rst12')).toBe('firstfirstfirst12'); // ligature fi
    expect(policy.check('cafe\u0301'.repeat(4))).toBe('caf\u00E9'.repeat(4)); // composed: 16 code points
    // 14 code points as typed, 15 after NFKC: the length rule sees the NFKC form
    expect(policy.check('\uFB01abcdefghijklm')).toBe('fiabcdefghijklm');
    // 28 code points as typed (decomposed), 14 once NFKC composes each e + U+0301
    expect(thrown(() => policy.check('e\u0301'.repeat(14)))).toMatchObject({ reason: 'too-short' });
  });

  it('normalises equivalent forms to one string', () => {
    const forms = ['Ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏ', 'Abcdefghijklmno', '𝐀𝐛𝐜𝐝𝐞𝐟𝐠𝐡𝐢𝐣𝐤𝐥𝐦𝐧𝐨'];
    expect(new Set(forms.map((f) => policy.check(f)))).toEqual(new Set(['Abcdefghijklmno']));
  });

  it.each([
    ['a lone high surrogate', `${'a'.repeat(15)}\uD800`],
    ['a lone low surrogate', `\uDC00${'a'.repeat(15)}`],
    ['a reversed pair', `${'a'.repeat(15)}\uDE00\uD83D`],
    ['only surrogates', '\uD800'.repeat(20)],
  ])('refuses %s as malformed', (_, password) => {
    expect(thrown(() => policy.check(password))).toMatchObject({
      code: 'ERR_ACCOUNTS_PASSWORD_POLICY',
      reason: 'malformed',
    });
    expect(thrown(() => policy.normalize(password))).toMatchObject({ reason: 'malformed' });
  });

  it.each([
    ['a number', 123456789012345],
    ['undefined', undefined],
    ['null', null],
    ['an object', { toString: () => 'a'.repeat(20) }],
    ['an array', ['a'.repeat(20)]],
    ['a Buffer', Buffer.from('a'.repeat(20))],
  ])('refuses %s as malformed (a password is a string)', (_, password) => {
    expect(thrown(() => policy.check(password))).toMatchObject({ reason: 'malformed' });
  });
});

describe('the byte cap', () => {
  const realNormalize = String.prototype.normalize;
  let normalizeCalls = 0;
  afterEach(() => {
    String.prototype.normalize = realNormalize;
  });
  const countNormalize = () => {
    normalizeCalls = 0;
    String.prototype.normalize = function (this: string, form?: string) {
      normalizeCalls += 1;
      return realNormalize.call(this, form);
    };
  };

  it('refuses a 1 MB password on its raw size, before NFKC', () => {
    countNormalize();
    for (const password of ['a'.repeat(1_048_576), '\uFDFA'.repeat(349_526), '\uD800'.repeat(1_048_576)]) {
      const e = thrown(() => policy.check(password));
      expect(e).toMatchObject({ reason: 'too-many-bytes', limit: 1024 });
      expect(e.message).not.toContain('normalised');
    }
    expect(normalizeCalls).toBe(0);
  });

  it('counts UTF-8 bytes of the raw input', () => {
    expect(thrown(() => policy.check('a'.repeat(1025)))).toMatchObject({ reason: 'too-many-bytes' });
    // 1024 bytes pass the cap; 1024 code points fail the length rule
    expect(thrown(() => policy.check('a'.repeat(1024)))).toMatchObject({ reason: 'too-long' });
    const grin = '\u{1F600}'; // 4 bytes
    expect(thrown(() => policy.check(grin.repeat(256)))).toMatchObject({ reason: 'too-long' }); // 1024 bytes
    expect(thrown(() => policy.check(grin.repeat(257)))).toMatchObject({ reason: 'too-many-bytes' }); // 1028
    const euro = '\u20AC'; // 3 bytes, 1 UTF-16 unit: 342 units pass the unit test, 1026 bytes do not
    expect(thrown(() => policy.check(euro.repeat(342)))).toMatchObject({ reason: 'too-many-bytes' });
  });

  it('checks again after NFKC, which can expand (U+FDFA is 1 code point, 18 after NFKC)', () => {
    const sallallahou = '\uFDFA';
    expect(sallallahou.normalize('NFKC')).toHaveLength(18);
    // 8 × 3 bytes raw; 144 code points after NFKC: too long
    expect(thrown(() => policy.check(sallallahou.repeat(8)))).toMatchObject({
      reason: 'too-long',
      limit: 128,
    });
    // 40 × 3 = 120 bytes raw, 40 × 33 = 1320 bytes after NFKC: over the cap once normalised
    const e = thrown(() => policy.check(sallallahou.repeat(40)));
    expect(e).toMatchObject({ reason: 'too-many-bytes', limit: 1024 });
    expect(e.message).toContain('once normalised');
    // normalize (the login path) applies the byte cap too
    expect(thrown(() => policy.normalize(sallallahou.repeat(40)))).toMatchObject({
      reason: 'too-many-bytes',
    });
    // 7 × 18 = 126 code points: fine, and returned in NFKC form
    expect(policy.check(sallallahou.repeat(7))).toBe(sallallahou.normalize('NFKC').repeat(7));
  });
});

describe('normalize (login)', () => {
  it('applies no length rule, only the type, surrogate and byte checks', () => {
    expect(policy.normalize('short')).toBe('short');
    expect(policy.normalize('')).toBe('');
    expect(policy.normalize('ｓｈｏｒｔ')).toBe('short');
    expect(policy.normalize('b'.repeat(1000))).toHaveLength(1000); // longer than maxLength: still verifiable
    expect(thrown(() => policy.normalize('b'.repeat(1025)))).toMatchObject({ reason: 'too-many-bytes' });
    expect(thrown(() => policy.normalize(42))).toMatchObject({ reason: 'malformed' });
  });
});

describe('call-time arguments', () => {
  it.each([
    ['a string context', 'mfa'],
    ['null', null],
    ['a non-boolean mfa', { mfa: 'true' }],
    ['a numeric mfa', { mfa: 1 }],
  ])('refuses %s as ERR_INVALID_ARGUMENT', (_, context) => {
    expect(thrown(() => policy.check('a'.repeat(20), context as never))).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});

describe('metrics', () => {
  it('counts rejections by reason', () => {
    const metrics = createMemoryMetrics();
    const counted = createPasswordPolicy({ metrics });
    for (const input of ['short', 'x'.repeat(200), 'x'.repeat(5000), '\uD800'.repeat(20), 7]) {
      thrown(() => counted.check(input));
    }
    counted.check('a'.repeat(20));
    const rejections = 'accounts.password_policy.rejections';
    expect(metrics.counterValue(rejections)).toBe(5);
    expect(metrics.counterValue(rejections, { reason: 'too-short' })).toBe(1);
    expect(metrics.counterValue(rejections, { reason: 'too-long' })).toBe(1);
    expect(metrics.counterValue(rejections, { reason: 'too-many-bytes' })).toBe(1);
    expect(metrics.counterValue(rejections, { reason: 'malformed' })).toBe(2);
  });
});

describe('checkBreached', () => {
  it('is skipped (never reported clean) without a checker', async () => {
    await expect(policy.checkBreached('correct horse battery')).resolves.toEqual({ status: 'skipped' });
  });

  it('refuses a breached password with its count, and passes the NFKC form to the checker', async () => {
    const metrics = createMemoryMetrics();
    const { checker, asked } = tableChecker((p) =>
      p === 'password1234567' ? { status: 'breached', count: 4242 } : { status: 'clean' },
    );
    const guarded = createPasswordPolicy({ breachChecker: checker, metrics });
    expect(guarded.settings.breachChecker).toBe('table');
    const e = await rejected(guarded.checkBreached('ｐａｓｓｗｏｒｄ１２３４５６７'));
    expect(e).toBeInstanceOf(PasswordPolicyError);
    expect(e).toMatchObject({ code: 'ERR_ACCOUNTS_PASSWORD_POLICY', reason: 'breached' });
    expect(e.message).toContain('4242');
    expect(asked).toEqual(['password1234567']);
    await expect(guarded.checkBreached('a fine long passphrase')).resolves.toEqual({ status: 'clean' });
    expect(metrics.counterValue('accounts.password_policy.rejections', { reason: 'breached' })).toBe(1);
    expect(metrics.counterValue('accounts.password_policy.breach_checks', { status: 'breached' })).toBe(1);
    expect(metrics.counterValue('accounts.password_policy.breach_checks', { status: 'clean' })).toBe(1);
  });

  it('only reports a breached password when rejectBreached is false', async () => {
    const { checker } = tableChecker(() => ({ status: 'breached', count: 3 }));
    const reporting = createPasswordPolicy({ breachChecker: checker, rejectBreached: false });
    await expect(reporting.checkBreached('password1234567')).resolves.toEqual({
      status: 'breached',
      count: 3,
    });
  });

  it.each([
    ['unavailable', () => ({ status: 'unavailable', reason: 'timeout' }) as const, 'timeout'],
    [
      'throws',
      () => {
        throw new Error('boom');
      },
      'checker-threw',
    ],
    ['rejects', () => Promise.reject(new Error('boom')), 'checker-threw'],
    ['answers nonsense', () => ({ status: 'maybe' }) as unknown as BreachCheckResult, 'bad-reply'],
    ['answers a bad count', () => ({ status: 'breached', count: -1 }) as const, 'bad-reply'],
  ])('fails open when the checker %s', async (_, answer, reason) => {
    const metrics = createMemoryMetrics();
    const checker: BreachChecker = { kind: 'flaky', check: async () => answer() };
    const open = createPasswordPolicy({ breachChecker: checker, metrics });
    await expect(open.checkBreached('password1234567')).resolves.toEqual({ status: 'unavailable', reason });
    expect(metrics.counterValue('accounts.password_policy.breach_checks', { status: 'unavailable' })).toBe(1);
  });

  it('applies the raw checks before asking the checker', async () => {
    const { checker, asked } = tableChecker(() => ({ status: 'clean' }));
    const guarded = createPasswordPolicy({ breachChecker: checker });
    expect(await rejected(guarded.checkBreached('a'.repeat(2000)))).toMatchObject({
      reason: 'too-many-bytes',
    });
    expect(await rejected(guarded.checkBreached(5 as never))).toMatchObject({ reason: 'malformed' });
    expect(asked).toEqual([]);
  });
});
