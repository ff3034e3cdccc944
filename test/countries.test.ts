/** The ISO 3166-1 alpha-2 list of the Merchant API's `address.country` (src/domain/countries.ts). */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ISO_3166_ALPHA2, isIso3166Alpha2 } from '../src/domain/countries.js';
import { ApiError } from '../src/domain/errors.js';
import { parseCountry } from '../src/domain/merchant-rules.js';

const DEBIAN_ISO_CODES = '/usr/share/iso-codes/json/iso_3166-1.json';

describe('ISO 3166-1 alpha-2', () => {
  it('has the 249 officially assigned codes, each a region the platform’s ICU names', () => {
    assert.equal(ISO_3166_ALPHA2.size, 249);
    const names = new Intl.DisplayNames('en', { type: 'region' });
    for (const code of ISO_3166_ALPHA2) {
      assert.match(code, /^[A-Z]{2}$/);
      assert.notEqual(names.of(code), code, `${code} is not a region ICU knows`);
    }
  });

  it('is the list of Debian’s iso-codes, where installed', { skip: !existsSync(DEBIAN_ISO_CODES) }, () => {
    const file = JSON.parse(readFileSync(DEBIAN_ISO_CODES, 'utf8')) as { '3166-1': { alpha_2: string }[] };
    assert.deepEqual([...ISO_3166_ALPHA2].sort(), file['3166-1'].map((c) => c.alpha_2).sort());
  });

  it('accepts the Nordic codes in any case and stores them upper case; refuses what is not a code', () => {
    for (const code of ['NO', 'SE', 'DK', 'FI', 'IS', 'AX', 'FO', 'GL', 'SJ']) assert.ok(isIso3166Alpha2(code), code);
    assert.equal(parseCountry('se'), 'SE');
    assert.equal(parseCountry('No'), 'NO');
    for (const code of ['1_', '__', '12', 'XX', 'UK', 'EU', 'XK', 'ZZ', 'AA', 'QM']) {
      assert.throws(
        () => parseCountry(code),
        (e: unknown) => e instanceof ApiError && e.key === 'MERCHANT_FIELD_INVALID',
        code,
      );
    }
  });
});
