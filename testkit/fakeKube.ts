// An in-memory API server for the code that reads and writes whole objects through KubeRest
// (src/kube/rest.ts): GET, POST to a collection (409 AlreadyExists), PUT and merge PATCH
// conditional on metadata.resourceVersion (409 Conflict), 404 for what is not there. Every call
// yields to the event loop first, so that two callers interleave as two replicas do.
import type { JsonResponse, KubeRest, Method } from '../src/kube/rest.ts';

type Obj = Record<string, unknown>;

const status = (code: number, reason: string, message: string): JsonResponse => ({ status: code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code } });

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386 merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

export class FakeKube implements KubeRest {
  readonly objects = new Map<string, Obj>();
  /** Every call, as "METHOD path". */
  readonly calls: string[] = [];
  /** Answers a call instead of the store when it returns a response (a refusal, an outage). */
  intercept: ((method: Method, path: string, body: unknown) => JsonResponse | undefined) | undefined;
  #version = 100;

  /** Puts an object at its path, as an admin's kubectl would. */
  put(path: string, object: Obj): Obj {
    const stored = structuredClone(object);
    (stored.metadata as Obj).resourceVersion = String(++this.#version);
    this.objects.set(path, stored);
    return structuredClone(stored);
  }

  get(path: string): Obj | undefined {
    const found = this.objects.get(path);
    return found === undefined ? undefined : structuredClone(found);
  }

  async request(method: Method, path: string, body?: unknown): Promise<JsonResponse> {
    await new Promise((r) => setImmediate(r));
    this.calls.push(`${method} ${path}`);
    const intercepted = this.intercept?.(method, path, body);
    if (intercepted !== undefined) return intercepted;
    const current = this.objects.get(path);
    switch (method) {
      case 'GET':
        return current === undefined ? status(404, 'NotFound', `${path} not found`) : { status: 200, body: structuredClone(current) };
      case 'POST': {
        const name = isObj(body) && isObj(body.metadata) ? String(body.metadata.name) : '';
        const target = `${path}/${name}`;
        if (this.objects.has(target)) return status(409, 'AlreadyExists', `${name} already exists`);
        return { status: 201, body: this.put(target, body as Obj) };
      }
      case 'PUT': {
        if (current === undefined) return status(404, 'NotFound', `${path} not found`);
        const version = isObj(body) && isObj(body.metadata) ? body.metadata.resourceVersion : undefined;
        if (version !== (current.metadata as Obj).resourceVersion) return status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
        return { status: 200, body: this.put(path, body as Obj) };
      }
      case 'PATCH': {
        if (current === undefined) return status(404, 'NotFound', `${path} not found`);
        const version = isObj(body) && isObj(body.metadata) ? body.metadata.resourceVersion : undefined;
        if (version !== undefined && version !== (current.metadata as Obj).resourceVersion) return status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
        return { status: 200, body: this.put(path, mergePatch(current, body) as Obj) };
      }
    }
  }
}
