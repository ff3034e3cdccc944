/**
 * What the approval parts need of the platform: narrow picks (GUIDE "Models in our own code":
 * apply-status-batches), so each part is built from config and the store, without the platform
 * object that is being built (no patch-up after construction).
 */
import type { OutboundHttp } from '../../callbacks/outbound-http.js';
import type { Platform } from '../../platform.js';
import type { TokenService } from '../../wallet/token-service.js';

export type ApprovalDeps = Pick<
  Platform,
  'config' | 'clock' | 'log' | 'store' | 'repos' | 'secrets' | 'events' | 'nodeId' | 'publicUrl'
> & {
  readonly http: OutboundHttp;
  readonly tokens: TokenService;
};
