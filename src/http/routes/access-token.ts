/** `POST /accesstoken/get` (access-token.yaml; psp-facts.md §1.1). */
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../platform.js';
import { issueAccessToken } from '../../services/issue-access-token.js';
import { header } from '../psp-auth.js';

const responseSchema = {
  type: 'object',
  properties: {
    token_type: { type: 'string' },
    expires_in: { type: 'string' },
    ext_expires_in: { type: 'string' },
    expires_on: { type: 'string' },
    not_before: { type: 'string' },
    resource: { type: 'string' },
    access_token: { type: 'string' },
  },
} as const;

export async function accessTokenRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  // A POST without a body (§1.1): clients send `--data ''` with any content type, or JSON `{}`.
  // This plugin scope accepts and ignores any body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 16 * 1024 }, (_req, _body, done) => done(null, undefined));
  app.post('/accesstoken/get', { schema: { response: { 200: responseSchema } } }, async (request, reply) => {
    const token = await issueAccessToken(platform, {
      clientId: header(request, 'client_id'),
      clientSecret: header(request, 'client_secret'),
      subscriptionKey: header(request, 'ocp-apim-subscription-key'),
    });
    return reply.type('application/json;charset=UTF-8').send(token);
  });
}
