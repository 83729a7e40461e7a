/**
 * The client side of S3 for the upload tests: real HTTP with `fetch`, as a browser would send it, to the
 * URLs and forms the store presigned. Every response body is read, so no socket is left open.
 */
import type { ObjectStoreClient } from '../../src/testing/index.js';

/** Headers without `content-length`: fetch sends the real length of the body, as every HTTP client does. */
const withoutLength = (headers: Readonly<Record<string, string>>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length'));

async function answer(response: Response) {
  await response.arrayBuffer();
  const etag = response.headers.get('etag');
  return etag === null ? { status: response.status } : { status: response.status, etag };
}

/** A form as a browser sends it: the fields in order, the file last. */
export function formOf(fields: Readonly<Record<string, string>>, file: Uint8Array): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file]), 'upload.bin');
  return form;
}

/** An {@link ObjectStoreClient} over `fetch`. */
export function fetchClient(): ObjectStoreClient {
  return {
    put: async (url, headers, body) =>
      answer(await fetch(url, { method: 'PUT', headers: withoutLength(headers), body })),
    post: async (url, fields, file) =>
      answer(await fetch(url, { method: 'POST', body: formOf(fields, file) })),
    part: async (url, body) => answer(await fetch(url, { method: 'PUT', body })),
    async get(url) {
      const response = await fetch(url);
      const body = new Uint8Array(await response.arrayBuffer());
      const contentType = response.headers.get('content-type');
      const contentDisposition = response.headers.get('content-disposition');
      return {
        status: response.status,
        body,
        ...(contentType === null ? {} : { contentType }),
        ...(contentDisposition === null ? {} : { contentDisposition }),
      };
    },
  };
}
