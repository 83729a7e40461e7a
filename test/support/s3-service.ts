/**
 * S3 for the test run: the `ServiceSpec` the global setup probes. `S3_URL` is
 * `http://ACCESS:SECRET@host:port` (path-style endpoint, us-east-1). The probe sends a signed ListBuckets,
 * which must succeed, and one signed with a wrong secret, which must be refused with 403: an S3 that does
 * not check SigV4 (s3rver) would let the presign and POST-policy tests pass for nothing. Without `S3_URL`
 * the run starts a throwaway radosgw (memstore, ~2.5 s).
 */
import { radosgwMissing, startRadosgw } from './radosgw.js';
import { type S3Target, signedListBucketsOk, wrongSecretStatus } from './s3-probe.js';
import type { ServiceSpec } from './services.js';

/** Parses `http://ACCESS:SECRET@host:port` into an endpoint and credentials; undefined when malformed. */
export function parseS3Url(url: string): S3Target | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.username || !parsed.password) {
    return undefined;
  }
  return {
    endpoint: `${parsed.protocol}//${parsed.host}`,
    accessKeyId: decodeURIComponent(parsed.username),
    secretAccessKey: decodeURIComponent(parsed.password),
    region: 'us-east-1',
  };
}

/** The `S3_URL` form of an endpoint and its credentials. */
export function formatS3Url(target: S3Target): string {
  const url = new URL(target.endpoint);
  url.username = encodeURIComponent(target.accessKeyId);
  url.password = encodeURIComponent(target.secretAccessKey);
  return url.toString().replace(/\/$/, '');
}

/** True when the S3 at `url` accepts a correctly signed request and refuses a wrongly signed one (403). */
export async function probeS3(url: string, timeoutMs = 3000): Promise<boolean> {
  const target = parseS3Url(url);
  if (!target) return false;
  if (!(await signedListBucketsOk(target, timeoutMs))) return false;
  return (await wrongSecretStatus(target, timeoutMs)) === 403;
}

export const s3Service: ServiceSpec = {
  name: 's3',
  envVar: 'S3_URL',
  // Port 1 answers nothing: without S3_URL the run always gets its own throwaway radosgw.
  defaultUrl: 'http://none:none@127.0.0.1:1',
  probe: (url) => probeS3(url),
  async startThrowaway() {
    if (radosgwMissing()) return undefined;
    // The global setup swallows a throwaway's error: say here why radosgw did not start (log tails).
    const rgw = await startRadosgw().catch((error: unknown) => {
      console.warn(`[services] s3: the throwaway radosgw failed: ${(error as Error).message}`);
      throw error;
    });
    return { url: formatS3Url(rgw), stop: () => rgw.stop() };
  },
  installHint:
    'install Ceph (apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common uuid-runtime) or set S3_URL=http://ACCESS:SECRET@host:port',
};
