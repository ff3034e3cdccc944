/**
 * Fault injection on the PSP-facing APIs (src/domain/faults.ts, docs/inspector.md "Faults").
 *
 * `preHandler` (root: after the route's authentication and validation, before its handler): when
 * the request's PSP (the authenticated one; for the token call, the subscription key's) has faults
 * for the operation, each `before` fault is offered the request in creation order. A latency
 * waits and goes on; a status answers at once; a close ends the connection. Nothing of the request
 * is handled then. A request refused by authentication or validation meets no fault: its answer
 * is the platform's own (and the journal keeps its body, which is parsed by then).
 *
 * `onSend`: an `after` fault is offered a request only when the route answered it with success,
 * so "applied, then failed" holds: a 5xx replaces the answer, a close drops it, a timeout holds it.
 *
 * With no faults anywhere (the usual case), the hooks cost a synchronous check.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS } from '../domain/errors.js';
import { draw, type Fault, type FaultOperation, faultAnswer, latencyOf } from '../domain/faults.js';
import type { Platform } from '../platform.js';
import { sha256Hex } from '../security/hash.js';
import { PSP_JSON } from './error-handler.js';
import { header } from './psp-auth.js';
import { operationOf, unansweredRecorder } from './request-journal-hooks.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The `after` faults that match this request (set in onRequest, offered in onSend). */
    faultsAfter: readonly Fault[] | null;
  }
}

const matches = (fault: Fault, operation: FaultOperation): boolean => fault.operation === 'ANY' || fault.operation === operation;

const label = (f: Fault): string => `${f.kind}${f.status ? ` ${f.status}` : ''} ${f.when} (${f.id})`;

/** The route's own internal-error answer (the catalogue's INTERNAL_ERROR in the route's shape). */
function internalError(request: FastifyRequest): { type: string; body: string } {
  const entry = ERRORS.INTERNAL_ERROR;
  const contextId = String(request.id);
  if (request.routeOptions.config?.errorFormat === 'problem') {
    return {
      type: 'application/problem+json',
      body: JSON.stringify({
        type: `https://developer.vippsmobilepay.com/docs/APIs/psp-api/errors#${entry.errorCode}`,
        title: 'Internal Server Error',
        status: 500,
        detail: entry.errorMessage,
        instance: request.url.split('?')[0],
        contextId,
      }),
    };
  }
  return { type: PSP_JSON, body: JSON.stringify([{ errorCode: entry.errorCode, errorMessage: entry.errorMessage, contextId }]) };
}

/** Sets the reply up as the fault's status answer; returns the body to send. */
function statusAnswer(request: FastifyRequest, reply: FastifyReply, fault: Fault): string {
  if (fault.status === 500 || fault.status === null) {
    const { type, body } = internalError(request);
    reply.code(500).type(type);
    return body;
  }
  const answer = faultAnswer(fault.status, fault.retryAfterSeconds);
  reply.code(answer.status).type(answer.contentType).headers(answer.headers);
  return answer.body;
}

/** Adds the hooks to the root instance, before the request journal's (so the journal sees the faulted answer). */
export function installFaultInjection(app: FastifyInstance, platform: Platform): void {
  const { faults, psps } = platform.repos;
  app.decorateRequest('faultsAfter', null);

  // Sleeps end early when the server closes, so a held answer never keeps close() waiting.
  const sleeping = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleeping.add(wake);
    });
  app.addHook('preClose', async () => {
    for (const wake of [...sleeping]) wake();
  });

  const offer = (fault: Fault) => faults.trigger(fault, (seen) => fault.probability >= 1 || draw(fault.seed, seen) < fault.probability);

  const closeConnection = (request: FastifyRequest) => {
    request.raw.socket.destroy();
  };

  const pspIdOf = async (request: FastifyRequest): Promise<string | null> => {
    if (request.pspContext) return request.pspContext.psp.pspId;
    const key = header(request, 'ocp-apim-subscription-key');
    return key ? ((await psps.findBySubscriptionKeySha256(sha256Hex(key)))?.pspId ?? null) : null;
  };
  const recordUnanswered = unansweredRecorder(platform);

  app.addHook('preHandler', async (request, reply) => {
    if (!faults.any()) return;
    const operation = operationOf(request);
    if (!operation) return;
    const pspId = await pspIdOf(request);
    if (!pspId) return;
    const matching = faults.active(pspId).filter((f) => matches(f, operation));
    if (matching.length === 0) return;
    const after = matching.filter((f) => f.when === 'after');
    if (after.length > 0) request.faultsAfter = after;
    for (const fault of matching) {
      if (fault.when !== 'before') continue;
      const fired = await offer(fault);
      if (!fired.fired) continue;
      request.journalFault = label(fault);
      switch (fault.kind) {
        case 'latency':
          request.raw.socket.setTimeout(0);
          await sleep(latencyOf(fault, fired.n));
          continue;
        case 'status':
          return reply.send(statusAnswer(request, reply, fault));
        case 'close':
          reply.hijack();
          recordUnanswered(request, reply.elapsedTime);
          closeConnection(request);
          return reply;
        case 'timeout':
          continue; // always `after` (domain/faults.ts)
      }
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const after = request.faultsAfter;
    if (!after || reply.statusCode >= 300) return payload;
    request.faultsAfter = null; // an answer replaced here passes onSend once more
    for (const fault of after) {
      const fired = await offer(fault);
      if (!fired.fired) continue;
      request.journalFault = label(fault);
      switch (fault.kind) {
        case 'status':
          return statusAnswer(request, reply, fault);
        case 'close':
          recordUnanswered(request, reply.elapsedTime);
          closeConnection(request);
          return payload;
        case 'timeout':
          request.raw.socket.setTimeout(0);
          await sleep(fault.delayMs ?? 0);
          // The client gave up meanwhile (the point of this fault): no onResponse will run.
          if (request.raw.socket.destroyed) {
            request.journalFault = `${label(fault)}, client gone`;
            recordUnanswered(request, reply.elapsedTime, { status: reply.statusCode, text: typeof payload === 'string' ? payload : null });
          }
          return payload;
        case 'latency':
          continue; // always `before`
      }
    }
    return payload;
  });
}
