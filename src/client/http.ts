/**
 * One HTTP exchange: a deadline on the whole exchange (headers and body) with
 * AbortSignal.timeout, no redirects followed (credentials never go to another host), and the
 * failure mapped to a typed error.
 */
import { errorFromResponse, VippsError, VippsNetworkError, type VippsRequestInfo, VippsTimeoutError } from './errors.js';

export type FetchFunction = typeof fetch;

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PATCH';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly contentType: string;
  readonly text: string;
  readonly request: VippsRequestInfo;
}

/** Sends the request and reads the whole answer; throws only VippsTimeoutError / VippsNetworkError. */
export async function exchange(fetchFn: FetchFunction, request: HttpRequest, timeoutMs: number): Promise<HttpResponse> {
  const info: VippsRequestInfo = { method: request.method, url: request.url.split('?')[0] ?? request.url };
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetchFn(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal,
    });
    const text = await res.text();
    return { status: res.status, statusText: res.statusText, contentType: res.headers.get('content-type') ?? '', text, request: info };
  } catch (error) {
    if (signal.aborted) throw new VippsTimeoutError(timeoutMs, { request: info, cause: error });
    if (error instanceof VippsError) throw error;
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new VippsNetworkError(`${info.method} ${info.url} failed: ${reason}`, { request: info, cause: error });
  }
}

/** Throws the typed error of a non-2xx answer. */
export function assertOk(response: HttpResponse): void {
  if (response.status < 200 || response.status > 299) throw errorFromResponse(response, response.request);
}

/** The JSON body of a 2xx answer. */
export function jsonBody<T>(response: HttpResponse): T {
  try {
    if (response.text.trim() === '') throw new Error('empty body');
    return JSON.parse(response.text) as T;
  } catch (error) {
    throw new VippsError(`HTTP ${response.status}: expected a JSON body, got ${JSON.stringify(response.text.slice(0, 100))}`, {
      status: response.status,
      body: response.text,
      request: response.request,
      cause: error,
    });
  }
}
