/**
 * The one error handler (GUIDE practice 3): every error a route throws becomes the wire shape of
 * its catalogue entry. Unknown errors become a plain 500 with a contextId; the stack goes to the
 * log, never to the client.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ErrorKey } from '../domain/errors.js';

export type ErrorFormat = 'psp' | 'problem';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How ErrorDetails are shaped on this route: PSP API array (default) or RFC 7807. */
    errorFormat?: ErrorFormat;
    /** Schema validation errors on these body fields map to these catalogue entries. */
    fieldErrors?: Readonly<Record<string, ErrorKey>>;
  }
}

export const PSP_JSON = 'application/json;charset=UTF-8';

export function sendApiError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  const { entry } = error;
  const contextId = String(request.id);
  reply.code(entry.httpStatus);
  switch (entry.shape) {
    case 'apim':
      return reply.type('application/json').send({ statusCode: entry.httpStatus, message: error.message });
    case 'aad': {
      const now = new Date();
      const timestamp = `${now.toISOString().slice(0, 19).replace('T', ' ')}Z`;
      const traceId = randomUUID();
      return reply.type('application/json; charset=utf-8').send({
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
      return reply.type('application/json').send({ errorCode: entry.errorCode, errorMessage: error.message, contextId });
    case 'psp': {
      if (request.routeOptions.config?.errorFormat === 'problem') {
        return reply.type('application/problem+json').send({
          type: `https://developer.vippsmobilepay.com/docs/APIs/psp-api/errors#${entry.errorCode}`,
          title: titleOf(entry.httpStatus),
          status: entry.httpStatus,
          detail: error.message,
          instance: request.url.split('?')[0],
          contextId,
        });
      }
      return reply.type(PSP_JSON).send([{ errorCode: entry.errorCode, errorMessage: error.message, contextId }]);
    }
  }
}

function titleOf(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    409: 'Idempotent conflict',
    413: 'Payload Too Large',
    415: 'Unsupported media type',
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

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) return sendApiError(request, reply, error);
    if (error.validation) return sendApiError(request, reply, fromValidation(request, error));
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendApiError(request, reply, new ApiError('UNSUPPORTED_MEDIA_TYPE'));
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendApiError(request, reply, new ApiError('BODY_TOO_LARGE'));
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendApiError(request, reply, new ApiError('INVALID_REQUEST', {}, 'the request body is empty'));
      default:
        break;
    }
    if (error.statusCode === 400 || error instanceof SyntaxError) {
      return sendApiError(request, reply, new ApiError('INVALID_REQUEST', {}, 'the request body is not valid JSON'));
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendApiError(request, reply, new ApiError('INTERNAL_ERROR'));
  });
  app.setNotFoundHandler((request, reply) => sendApiError(request, reply, new ApiError('NOT_FOUND')));
}
