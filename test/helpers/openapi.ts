/**
 * Validates response bodies against the official OpenAPI files in spec/ (copies of
 * ../shared/spec). OpenAPI 3.0 schemas are JSON Schema draft-04-ish; Ajv validates them once the
 * `$ref`s point into the loaded document.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import { parse } from 'yaml';

const SPEC_DIR = join(import.meta.dirname, '..', '..', 'spec');

type Json = Record<string, unknown>;

function rewriteRefs(node: unknown, docId: string): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, docId));
  if (node && typeof node === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(node as Json)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/')) out[k] = `${docId}${v}`;
      else if (k === 'example' || k === 'nullable' || k === 'deprecated' || k === 'xml') continue;
      else out[k] = rewriteRefs(v, docId);
    }
    // OpenAPI 3.0 `nullable: true` (and the signup spec's `x-isnullable: true`) → allow null.
    const nullable = (node as Json).nullable === true || (node as Json)['x-isnullable'] === true;
    if (nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
    return out;
  }
  return node;
}

export class OpenApi {
  private readonly ajv: Ajv;
  private readonly doc: Json;
  private readonly id: string;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(file: string) {
    this.doc = parse(readFileSync(join(SPEC_DIR, file), 'utf8')) as Json;
    this.id = `https://spec.local/${file}`;
    this.ajv = new Ajv({ strict: false, allErrors: true });
    (formats as unknown as { default: (ajv: Ajv) => void }).default(this.ajv);
    this.ajv.addFormat('guid', /^[0-9a-f-]{36}$/i);
    // access-token.yaml calls the JWT `format: byte` (base64); a JWT is base64url with dots.
    this.ajv.addFormat('byte', /^[A-Za-z0-9+/=_.-]+$/);
    this.ajv.addSchema({ $id: this.id, ...(rewriteRefs(this.doc, this.id) as Json) });
  }

  /** The response schema of `method path` for `status` (first content type). */
  private responseSchema(path: string, method: string, status: string): Json | null {
    const op = ((this.doc.paths as Json)[path] as Json | undefined)?.[method] as Json | undefined;
    if (!op) throw new Error(`no operation ${method} ${path} in ${this.id}`);
    const response = (op.responses as Json)[status] as Json | undefined;
    if (!response) throw new Error(`${method} ${path} documents no ${status} response`);
    const content = response.content as Json | undefined;
    if (!content || Object.keys(content).length === 0) return null;
    const media = Object.values(content)[0] as Json;
    return (media.schema as Json | undefined) ?? null;
  }

  /** Throws with Ajv's errors when `body` does not match the documented response. */
  assertResponse(path: string, method: string, status: number, body: unknown): void {
    const key = `${method} ${path} ${status}`;
    let validate: ValidateFunction | undefined = this.cache.get(key);
    if (!validate) {
      const schema = this.responseSchema(path, method, String(status));
      if (schema === null) {
        if (body !== undefined && body !== '' && body !== null)
          throw new Error(`${key}: documented without a body, got ${JSON.stringify(body)}`);
        return;
      }
      validate = this.ajv.compile(rewriteRefs(schema, this.id) as Json);
      this.cache.set(key, validate);
    }
    if (!validate(body)) throw new Error(`${key}: ${JSON.stringify(validate.errors)} for ${JSON.stringify(body)}`);
  }

  /** Validates a value against a named component schema (e.g. MakePaymentRequest). */
  assertSchema(name: string, value: unknown, options: { strictAdditional?: boolean } = {}): void {
    const schema = (((this.doc.components as Json).schemas as Json)[name] as Json | undefined) ?? null;
    if (!schema) throw new Error(`no schema ${name}`);
    let compiled = rewriteRefs(schema, this.id) as Json;
    if (options.strictAdditional) compiled = { ...compiled, additionalProperties: false };
    const validate = this.ajv.compile(compiled);
    if (!validate(value)) throw new Error(`${name}: ${JSON.stringify(validate.errors)} for ${JSON.stringify(value)}`);
  }
}

let psp: OpenApi | undefined;
let token: OpenApi | undefined;
let signup: OpenApi | undefined;
export const pspSpec = (): OpenApi => (psp ??= new OpenApi('psp-v3.yaml'));
export const accessTokenSpec = (): OpenApi => (token ??= new OpenApi('access-token.yaml'));
export const signupSpec = (): OpenApi => (signup ??= new OpenApi('psp-signup-v1.yaml'));
