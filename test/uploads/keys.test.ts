/**
 * Server-generated keys: the layout, ids from the injected `random` (128 bits, base32), owner hashes
 * that never show the owner id, extensions from the sniffed type only, and every hostile prefix, hash,
 * id, extension and thumbnail name refused with a typed error.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  extensionForType,
  finalKey,
  newUploadId,
  OWNER_HASH_HEX_LENGTH,
  ownerHash,
  quarantineKey,
  thumbnailKey,
  validateKeyPrefix,
} from '../../src/uploads/keys.js';

const fixed = (byte: number) => (n: number) => new Uint8Array(n).fill(byte);
const HASH = ownerHash('user-42');
const ID = newUploadId(fixed(0));

describe('newUploadId', () => {
  it('encodes 128 bits from `random` as 26 lower-case base32 characters', () => {
    expect(newUploadId(fixed(0))).toBe('a'.repeat(26));
    expect(newUploadId(fixed(0xff))).toBe(`${'7'.repeat(25)}4`); // 125 bits, then 3 bits + 2 zero bits
    expect(newUploadId(randomBytes)).toMatch(/^[a-z2-7]{26}$/);
  });

  it('asks for 16 bytes and is injective on them', () => {
    const asked: number[] = [];
    newUploadId((n) => {
      asked.push(n);
      return new Uint8Array(n);
    });
    expect(asked).toEqual([16]);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (a, b) => {
          const same = Buffer.from(a).equals(Buffer.from(b));
          expect(newUploadId(() => a) === newUploadId(() => b)).toBe(same);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a `random` that returns too few bytes or not bytes', () => {
    expect(() => newUploadId(() => new Uint8Array(8))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => newUploadId(() => 'x' as unknown as Uint8Array)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});

describe('ownerHash', () => {
  it('is 32 hex characters, stable, and does not contain the owner', () => {
    expect(HASH).toMatch(new RegExp(`^[0-9a-f]{${OWNER_HASH_HEX_LENGTH}}$`));
    expect(ownerHash('user-42')).toBe(HASH);
    expect(ownerHash('user-43')).not.toBe(HASH);
    expect(ownerHash('../../etc')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('is keyed with a secret (HMAC), so a guessable id cannot be confirmed without it', () => {
    expect(ownerHash('42', 'secret-a')).not.toBe(ownerHash('42'));
    expect(ownerHash('42', 'secret-a')).not.toBe(ownerHash('42', 'secret-b'));
    expect(ownerHash('42', Buffer.from('secret-a'))).toBe(ownerHash('42', 'secret-a'));
  });

  it('refuses an empty or non-string owner', () => {
    expect(() => ownerHash('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => ownerHash(42 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('keys', () => {
  it('lays out quarantine, final and thumbnail keys', () => {
    expect(quarantineKey('quarantine/', HASH, ID, 'png')).toBe(`quarantine/${HASH}/${ID}.png`);
    expect(quarantineKey('quarantine/', HASH, ID)).toBe(`quarantine/${HASH}/${ID}`);
    expect(finalKey('app/files/', HASH, ID, 'pdf')).toBe(`app/files/${HASH}/${ID}.pdf`);
    expect(thumbnailKey('thumbs/', HASH, ID, 'small', 'webp')).toBe(`thumbs/${HASH}/${ID}/small.webp`);
  });

  it.each([
    ['', 'must be a non-empty string'],
    ['/quarantine/', 'must not start with `/`'],
    ['quarantine', 'must end with `/`'],
    ['a/../b/', '`..`'],
    ['../', '`..`'],
    ['./x/', '`.`'],
    ['a//b/', 'empty'],
    ['a b/', 'may only use'],
    ['a\\b/', 'may only use'],
    ['a%2e%2e/', 'may only use'],
    ['ü/', 'may only use'],
    [`${'a'.repeat(600)}/`, 'at most 512'],
  ])('refuses bad prefix #%# with ERR_INVALID_OPTION', (prefix, message) => {
    expect(() => validateKeyPrefix(prefix, 'prefixes.final')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining(message) }),
    );
    expect(() => quarantineKey(prefix, HASH, ID, 'png')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => finalKey(prefix, HASH, ID)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  it('accepts nested prefixes of safe characters', () => {
    expect(validateKeyPrefix("tenant-1/up_loads.v2/(x)!*'/")).toBe("tenant-1/up_loads.v2/(x)!*'/");
  });

  it('refuses a raw owner, a client-made id, a client extension and a hostile thumbnail name', () => {
    const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });
    expect(() => quarantineKey('q/', 'user-42', ID)).toThrow(invalid);
    expect(() => quarantineKey('q/', HASH.toUpperCase(), ID)).toThrow(invalid);
    expect(() => quarantineKey('q/', HASH, '../../x')).toThrow(invalid);
    expect(() => quarantineKey('q/', HASH, ID.toUpperCase())).toThrow(invalid);
    expect(() => quarantineKey('q/', HASH, ID, 'PNG')).toThrow(invalid);
    expect(() => quarantineKey('q/', HASH, ID, 'png/../x')).toThrow(invalid);
    expect(() => quarantineKey('q/', HASH, ID, '.png')).toThrow(invalid);
    expect(() => finalKey('f/', HASH, ID, 'a'.repeat(11))).toThrow(invalid);
    expect(() => thumbnailKey('t/', HASH, ID, '../big', 'webp')).toThrow(invalid);
    expect(() => thumbnailKey('t/', HASH, ID, 'small', '')).toThrow(invalid);
    expect(() => thumbnailKey('t/', HASH, ID, '', 'webp')).toThrow(invalid);
  });
});

describe('extensionForType', () => {
  it('maps sniffed types, falls back to the detector, and never invents one', () => {
    expect(extensionForType('image/jpeg', 'jpg')).toBe('jpg');
    expect(extensionForType('image/svg+xml')).toBe('svg');
    expect(extensionForType('text/csv')).toBe('csv');
    expect(extensionForType('application/x-7z-compressed', '7z')).toBe('7z');
    expect(extensionForType('application/x-foo', '../x')).toBe('');
    expect(extensionForType('application/x-foo')).toBe('');
    expect(extensionForType('constructor')).toBe('');
  });
});
