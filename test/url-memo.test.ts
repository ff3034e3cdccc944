import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRedirectUrlMemo, checkUrlMemo, URL_MEMO_ENTRIES } from '../src/domain/url-memo.js';
import { checkRedirectUrl, checkUrl } from '../src/domain/url-rules.js';

const URLS = [
  'https://psp.example.com/makepayment',
  'http://127.0.0.1:3000/mp',
  'http://169.254.169.254/latest',
  'http://10.0.0.1/x',
  'https://user:pw@psp.example.com/',
  'ftp://shop.example.com/r',
  'shop.example/mp',
  'http://localhost/r',
];

describe('URL rules memoized per URL (domain/url-memo.ts)', () => {
  it('answers as the rules do for every policy, the first time and again', () => {
    for (const policy of [
      { requireHttps: false, allowLoopback: true, allowPrivate: true },
      { requireHttps: true, allowLoopback: false, allowPrivate: false },
    ]) {
      for (let round = 0; round < 2; round++) {
        for (const url of URLS) assert.equal(checkUrlMemo(url, policy), checkUrl(url, policy), `${url} ${JSON.stringify(policy)}`);
      }
    }
    for (const policy of [{ allowLocalHosts: true }, { allowLocalHosts: false }]) {
      for (let round = 0; round < 2; round++) {
        for (const url of URLS) assert.equal(checkRedirectUrlMemo(url, policy), checkRedirectUrl(url, policy), url);
      }
    }
  });

  it('still answers right after more distinct URLs than it keeps', () => {
    const policy = { requireHttps: false, allowLoopback: false, allowPrivate: false };
    for (let i = 0; i < URL_MEMO_ENTRIES + 10; i++) assert.equal(checkUrlMemo(`https://shop${i}.example.com/mp`, policy), null);
    assert.equal(checkUrlMemo('http://127.0.0.1/mp', policy), 'loopback address');
    assert.equal(checkUrlMemo('https://shop0.example.com/mp', policy), null);
  });
});
