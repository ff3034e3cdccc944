/**
 * The URL rules' answers memoized per distinct URL string and policy. A PSP sends the same
 * makePaymentUrl and pspRedirectUrl (or a few) with every init; parsing and checking them cost
 * ≈ 23 µs per init (docs/PERFORMANCE.md). The rules are pure functions of (URL, policy), so the
 * answer for a URL already seen is reused. Bounded: at most `URL_MEMO_ENTRIES` per policy, the
 * oldest forgotten first (a PSP with a URL per payment gains nothing, but costs no more memory).
 */
import { checkRedirectUrl, checkUrl, type RedirectUrlPolicy, type UrlPolicy } from './url-rules.js';

export const URL_MEMO_ENTRIES = 1000;

function memoized<P extends object>(check: (raw: string, policy: P) => string | null): (raw: string, policy: P) => string | null {
  const byPolicy = new WeakMap<P, Map<string, string | null>>();
  return (raw, policy) => {
    let answers = byPolicy.get(policy);
    if (!answers) {
      answers = new Map();
      byPolicy.set(policy, answers);
    }
    const known = answers.get(raw);
    if (known !== undefined) return known;
    const answer = check(raw, policy);
    if (answers.size >= URL_MEMO_ENTRIES) {
      const oldest = answers.keys().next().value;
      if (oldest !== undefined) answers.delete(oldest);
    }
    answers.set(raw, answer);
    return answer;
  };
}

export const checkUrlMemo: (raw: string, policy: UrlPolicy) => string | null = memoized(checkUrl);
export const checkRedirectUrlMemo: (raw: string, policy: RedirectUrlPolicy) => string | null = memoized(checkRedirectUrl);
