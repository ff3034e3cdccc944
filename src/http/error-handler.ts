/**
 * The one error handler (GUIDE practice 3): every error a route throws becomes the wire shape of
 * its catalogue entry, in the format of the route's API (route-table.ts `errorFormat`). Unknown
 * errors become a plain 500 with a contextId; the stack goes to the log, never to the client.
 *
 * It also answers the errors that happen before Fastify has a route: a URL that is not valid
 * percent-encoded UTF-8 or has an over-long segment (`frameworkErrors`), and a request that is
 * not well-formed HTTP (Node's parser: bad Content-Length, bad header, header section over the
 * limit; `clientError`). Those are answered in the format of the API the path belongs to, found
 * in the app's route table.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ErrorKey } from '../domain/errors.js';
import { newRowId } from '../store/ids.js';
import { type ErrorFormat, type ErrorPage, formatOf, type RouteTable } from './route-table.js';

export type { ErrorFormat } from './route-table.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Schema validation errors on these body fields map to these catalogue entries. */
    fieldErrors?: Readonly<Record<string, ErrorKey>>;
  }
}

export const PSP_JSON = 'application/json;charset=UTF-8';

/** An error answer, ready for a Fastify reply or a raw socket. */
export interface RenderedError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The wire shape of a catalogue error in an API's format (`page` needs the route's error page). */
export function renderApiError(
  error: ApiError,
  format: ErrorFormat,
  contextId: string,
  path: string,
  page?: ErrorPage | null,
): RenderedError {
  const { entry } = error;
  const status = entry.httpStatus;
  const json = (type: string, body: unknown): RenderedError => ({ status, headers: { 'content-type': type }, body: JSON.stringify(body) });
  if (format === 'page' && page) {
    return {
      status,
      headers: { ...page.headers, 'content-type': 'text/html; charset=utf-8' },
      body: page.render(status, contextId).value,
    };
  }
  switch (entry.shape) {
    case 'apim':
      return json('application/json', { statusCode: status, message: error.message });
    case 'aad': {
      const now = new Date();
      const timestamp = `${now.toISOString().slice(0, 19).replace('T', ' ')}Z`;
      const traceId = randomUUID();
      return json('application/json; charset=utf-8', {
        error: entry.aad?.error,
        error_description: `${error.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${contextId}\r\nTimestamp: ${timestamp}`,
        error_codes: [entry.aad?.code],
        timestamp,
        trace_id: traceId,
        correlation_id: contextId,
        error_uri: `https://login.microsoftonline.com/error?code=${entry.aad?.code}`,
      });
    }
    case 'detail':
      // A single object, whatever the route's format: the layer in front of every API answers it (§1.2).
      return json('application/json', { errorCode: entry.errorCode, errorMessage: error.message, contextId });
    case 'psp':
      if (format === 'problem') {
        return json('application/problem+json', {
          type: `https://developer.vippsmobilepay.com/docs/APIs/psp-api/errors#${entry.errorCode}`,
          title: titleOf(status),
          status,
          detail: error.message,
          instance: path,
          contextId,
        });
      }
      return json(PSP_JSON, [{ errorCode: entry.errorCode, errorMessage: error.message, contextId }]);
  }
}

export function sendApiError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  const config = request.routeOptions.config;
  return sendRendered(
    reply,
    renderApiError(error, formatOf(request.routeOptions), String(request.id), pathOf(request.url), config?.errorPage),
  );
}

function sendRendered(reply: FastifyReply, rendered: RenderedError): FastifyReply {
  return reply.code(rendered.status).headers(rendered.headers).send(rendered.body);
}

function pathOf(url: string): string {
  return url.split('?')[0] ?? url;
}

function titleOf(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    408: 'Request Timeout',
    409: 'Idempotent conflict',
    413: 'Payload Too Large',
    414: 'URI Too Long',
    415: 'Unsupported media type',
    431: 'Request Header Fields Too Large',
    500: 'Internal Server Error',
  };
  return titles[status] ?? 'Error';
}

interface ValidationItem {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Turns a Fastify/Ajv validation error into the catalogue entry for the failing field. */
function fromValidation(request: FastifyRequest, error: FastifyError): ApiError {
  const first = (error.validation as ValidationItem[] | undefined)?.[0];
  const context = (error as FastifyError & { validationContext?: string }).validationContext ?? 'body';
  if (!first) return new ApiError('INVALID_REQUEST');
  const field =
    first.keyword === 'required' ? String(first.params.missingProperty) : first.instancePath.replace(/^\//, '').split('/')[0] || context;
  const mapped = context === 'body' ? request.routeOptions.config?.fieldErrors?.[field] : undefined;
  if (mapped) return new ApiError(mapped);
  const what = first.keyword === 'required' ? 'is required' : (first.message ?? 'is invalid');
  const path = first.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : '';
  const where = first.keyword === 'required' ? [path, String(first.params.missingProperty)].filter(Boolean).join('.') : path || field;
  return new ApiError('INVALID_REQUEST', {}, `${where} ${what}`);
}

/**
 * The catalogue entry for an error Fastify or its parsers raised about the request (not our
 * code's): null for anything else, which is then a 500.
 */
export function clientErrorOf(error: FastifyError | Error): ApiError | null {
  if (error instanceof ApiError) return error;
  const code = (error as FastifyError).code;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('BODY_TOO_LARGE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('INVALID_REQUEST', {}, 'the request body is empty');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('MALFORMED_REQUEST', {}, 'the body does not match its Content-Length');
    case 'FST_ERR_BAD_URL':
      return new ApiError('MALFORMED_REQUEST', {}, 'the URL is not valid percent-encoded UTF-8');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError('URI_TOO_LONG');
    default:
      break;
  }
  if (error instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new ApiError('INVALID_REQUEST', {}, 'the request body is not valid JSON');
  }
  // Any other 4xx of Fastify's (its FST_ERR_* catalogue) is about the request's form.
  const status = (error as FastifyError).statusCode;
  if (typeof code === 'string' && code.startsWith('FST_') && typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 408) return new ApiError('REQUEST_TIMEOUT');
    if (status === 414) return new ApiError('URI_TOO_LONG');
    if (status === 431) return new ApiError('HEADERS_TOO_LARGE');
    return new ApiError('MALFORMED_REQUEST', {}, error.message);
  }
  return null;
}

/** What the root error handler does with any error: a catalogue answer, or a logged 500. */
function answer(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.validation) return sendApiError(request, reply, fromValidation(request, error));
  const known = clientErrorOf(error);
  if (known) return sendApiError(request, reply, known);
  request.log.error({ err: error }, 'unhandled error');
  return sendApiError(request, reply, new ApiError('INTERNAL_ERROR'));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(answer);
  app.setNotFoundHandler((request, reply) => sendApiError(request, reply, new ApiError('NOT_FOUND')));
}

/**
 * Fastify's `frameworkErrors`: a URL the router refused before matching a route (bad
 * percent-encoding, a segment over `maxParamLength`). The request has no route: the format is
 * the one of the route the path most likely belongs to.
 */
export function frameworkErrorHandler(table: () => RouteTable) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const apiError = clientErrorOf(error) ?? new ApiError('MALFORMED_REQUEST', {}, 'the URL is not valid');
    const path = pathOf(request.raw.url ?? '/');
    const route = table().guess(path);
    request.log.info({ err: error, url: request.raw.url }, 'request refused before routing');
    return sendRendered(
      reply,
      renderApiError(apiError, formatOf(route?.options), String(request.id), path, route?.options.config?.errorPage),
    );
  };
}

/** nginx's and Apache's default limit of a request line; beyond it, an overflow is a 414. */
const REQUEST_LINE_LIMIT_BYTES = 8 * 1024;

/** The catalogue entry for an error of Node's HTTP parser (`clientError`). */
function parserErrorOf(error: { code?: string }, requestLine: string | null): ApiError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return requestLine === null || requestLine.length > REQUEST_LINE_LIMIT_BYTES
        ? new ApiError('URI_TOO_LONG')
        : new ApiError('HEADERS_TOO_LARGE');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError('REQUEST_TIMEOUT');
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return new ApiError('MALFORMED_REQUEST', {}, 'the Content-Length header is not valid');
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return new ApiError('MALFORMED_REQUEST', {}, 'the Transfer-Encoding or chunked body is not valid');
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return new ApiError('MALFORMED_REQUEST', {}, 'a header is not valid');
    default:
      return new ApiError('MALFORMED_REQUEST', {}, 'the request is not well-formed HTTP');
  }
}

/**
 * Node's `clientError`: the request is not well-formed HTTP, so there is no request object,
 * only the bytes that failed. Their request line (when the failing chunk has it) says which
 * API's format to answer in; the answer is written to the socket, which is then closed.
 */
export function clientErrorHandler(table: () => RouteTable, log: FastifyInstance['log']) {
  // Fastify types `rawPacket` as a Buffer's JSON form; Node hands over the Buffer itself.
  return (error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
    const raw = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1') : '';
    const lineEnd = raw.indexOf('\r\n');
    const requestLine = lineEnd >= 0 ? raw.slice(0, lineEnd) : raw.length > REQUEST_LINE_LIMIT_BYTES ? null : raw;
    const target = /^[A-Z]+ (\S+)/.exec(raw)?.[1] ?? '/';
    const path = pathOf(target).slice(0, 2048);
    const route = path.startsWith('/') ? table().guess(path) : null;
    const apiError = parserErrorOf(error, requestLine);
    const contextId = newRowId();
    log.info({ code: error.code, contextId, path }, 'malformed request refused');
    const rendered = renderApiError(apiError, formatOf(route?.options), contextId, path, route?.options.config?.errorPage);
    const body = Buffer.from(rendered.body, 'utf8');
    const head = [
      `HTTP/1.1 ${rendered.status} ${STATUS_CODES[rendered.status] ?? 'Error'}`,
      ...Object.entries(rendered.headers).map(([name, value]) => `${name}: ${value}`),
      `content-length: ${body.length}`,
      'connection: close',
    ];
    socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
  };
}
