/**
 * The client side of the memory store for the ObjectStore contract (and for your own tests): each call
 * hands the request to the store's `receive*` method, as a browser's request would reach S3.
 */
import type { MemoryObjectStore } from '../../uploads/index.js';
import type { ClientAnswer, ObjectStoreClient } from './object-store-helpers.js';

const answerOf = (result: ReturnType<MemoryObjectStore['receivePut']>): ClientAnswer =>
  result.ok ? { status: result.status, etag: result.etag } : { status: result.status };

/**
 * An {@link ObjectStoreClient} over a memory store's `receive*` methods.
 *
 * @example
 * ```ts
 * const store = createMemoryObjectStore();
 * const send = memoryStoreClient(store);
 * const put = await store.presignPut({ key: 'k', contentType: 'text/plain', contentLength: 2, expiresInS: 60 });
 * await send.put(put.url, put.headers, new Uint8Array(2)); // { status: 200, etag: '"..."' }
 * ```
 */
export function memoryStoreClient(store: MemoryObjectStore): ObjectStoreClient {
  return {
    put: async (url, headers, body) => answerOf(store.receivePut(url, headers, body)),
    post: async (url, fields, file) => answerOf(store.receivePost(url, fields, file)),
    part: async (url, body) => answerOf(store.receivePart(url, body)),
    async get(url) {
      const result = store.receiveGet(url);
      if (!result.ok) return { status: result.status, body: new Uint8Array(0) };
      return {
        status: result.status,
        body: result.body,
        ...(result.contentType === undefined ? {} : { contentType: result.contentType }),
        ...(result.contentDisposition === undefined ? {} : { contentDisposition: result.contentDisposition }),
      };
    },
  };
}
