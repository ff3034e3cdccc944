/**
 * The app's own route table, collected by a root `onRoute` hook (so a route added by any plugin,
 * now or later, is in it without anyone listing it). Two readers:
 *  - the error handler, to answer errors that arrive before Fastify has matched a route (a
 *    malformed URL, an over-long path segment, a request that is not well-formed HTTP) in the
 *    format of the API the path belongs to;
 *  - the fuzz test (test/helpers/fuzz.ts), which sends hostile requests to every route.
 *
 * A route declares the format of its errors in `config.errorFormat` (http/error-handler.ts):
 * `psp` (the default: the catalogue's shapes, ErrorDetails array for the PSP API), `problem`
 * (RFC 7807, the Merchant API) or `page` (an HTML error page; set for every route of a plugin that
 * calls `installPageErrorHandler`, page-support.ts).
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { SafeHtml } from '../wallet/pages/html.js';

export type ErrorFormat = 'psp' | 'problem' | 'page';

/** How a page plugin renders its error page (page-support.ts `installPageErrorHandler`). */
export interface ErrorPage {
  render(status: number, contextId: string): SafeHtml;
  /** The page's security headers (CSP and the rest). */
  readonly headers: Readonly<Record<string, string>>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How errors are shaped on this route (see route-table.ts). Absent = `psp`. */
    errorFormat?: ErrorFormat;
    /** `page` routes: their error page. */
    errorPage?: ErrorPage;
  }
  interface FastifyInstance {
    routeTable: RouteTable;
  }
}

export interface RouteEntry {
  readonly method: string;
  /** As registered, with `:param` and `*` segments. */
  readonly url: string;
  /** The part of `url` before its first parameter, lower case (routing is case-insensitive). */
  readonly staticPrefix: string;
  readonly hasParams: boolean;
  /**
   * The route's options. Read lazily: a page plugin's own onRoute hook (which runs after this
   * table's root hook) sets `config.errorFormat` on the same object.
   */
  readonly options: RouteOptions;
}

export class RouteTable {
  private readonly entries: RouteEntry[] = [];

  add(options: RouteOptions): void {
    const methods = Array.isArray(options.method) ? options.method : [options.method];
    const url = options.url;
    const cut = url.search(/[:*]/);
    for (const method of methods) {
      this.entries.push({
        method: String(method).toUpperCase(),
        url,
        staticPrefix: (cut < 0 ? url : url.slice(0, cut)).toLowerCase(),
        hasParams: cut >= 0,
        options,
      });
    }
  }

  routes(): readonly RouteEntry[] {
    return this.entries;
  }

  /**
   * The route a raw path most likely belongs to, when the router could not match it: an exact
   * static route, else the route with the longest static prefix of the path. Null for a path
   * no route shares a prefix with.
   */
  guess(path: string): RouteEntry | null {
    const lower = path.toLowerCase().replace(/\/+$/, '');
    let best: RouteEntry | null = null;
    for (const entry of this.entries) {
      if (!entry.hasParams) {
        if (entry.staticPrefix.replace(/\/+$/, '') === lower) return entry;
        continue;
      }
      if (lower.startsWith(entry.staticPrefix) && (!best || entry.staticPrefix.length > best.staticPrefix.length)) best = entry;
    }
    return best;
  }
}

export function formatOf(options: Pick<RouteOptions, 'config'> | null | undefined): ErrorFormat {
  return (options?.config as { errorFormat?: ErrorFormat } | undefined)?.errorFormat ?? 'psp';
}

/** Installs the table on the root instance: call before any route is registered. */
export function installRouteTable(app: FastifyInstance): RouteTable {
  const table = new RouteTable();
  app.decorate('routeTable', table);
  app.addHook('onRoute', (options) => table.add(options));
  return table;
}
