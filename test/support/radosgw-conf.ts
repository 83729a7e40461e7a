/**
 * The ceph.conf of a throwaway single-node Ceph cluster (one mon, one OSD, one radosgw), every path inside
 * one folder. The settings are the ones measured in ../shared/reference/s3-radosgw.md; each comment says
 * what goes wrong without it.
 */

/** What {@link cephConf} needs. */
export interface CephConfInput {
  readonly dir: string;
  readonly fsid: string;
  readonly monPort: number;
  readonly rgwPort: number;
  readonly objectstore: 'memstore' | 'bluestore';
  /** Size of the sparse bluestore block file (bluestore only). */
  readonly blockBytes: number;
  /** Lines appended to the `[client.rgw.a]` section (later lines override earlier ones). */
  readonly rgwConfig?: readonly string[];
}

/** The ceph.conf text. */
export function cephConf(input: CephConfInput): string {
  const { dir, fsid, monPort, rgwPort } = input;
  const store =
    input.objectstore === 'memstore'
      ? ['osd objectstore = memstore', 'memstore device bytes = 2147483648']
      : [
          'osd objectstore = bluestore',
          // A sparse file in the folder: no device, no partition, nothing outside the temp dir.
          'bluestore block create = true',
          `bluestore block size = ${input.blockBytes}`,
          'bluestore fsck on mkfs = false',
          // Keep the OSD's cache small: it is a test box shared by many runs.
          'bluestore cache size = 67108864',
          'osd memory target = 268435456',
        ];
  return [
    '[global]',
    `fsid = ${fsid}`,
    `mon host = [v2:127.0.0.1:${monPort}]`,
    'public addr = 127.0.0.1',
    'ms bind msgr1 = false',
    'auth cluster required = none',
    'auth service required = none',
    'auth client required = none',
    // radosgw's built-in default asks for a secure mon connection, which needs cephx: without this line it
    // hangs forever logging `get_initial_auth_request returned -13`.
    'ms mon client mode = crc secure',
    `run dir = ${dir}/run`,
    `admin socket = ${dir}/run/$name.asok`,
    `pid file = ${dir}/run/$name.pid`,
    `log file = ${dir}/$name.log`,
    `mon cluster log file = ${dir}/cluster.log`,
    `keyring = ${dir}/keyring`,
    'osd pool default size = 1',
    'osd pool default min size = 1',
    'osd pool default pg num = 8',
    'osd pool default pgp num = 8',
    'osd pool default pg autoscale mode = off',
    'osd crush chooseleaf type = 0',
    'mon allow pool size one = true',
    'mon max pg per osd = 1000',
    '',
    '[mon]',
    // radosgw creates its pools one Paxos round each: the 1 s default makes start-up ~15 s instead of ~2 s.
    'paxos propose interval = 0.1',
    'paxos min wait = 0.01',
    `mon data = ${dir}/mon.$id`,
    '',
    '[osd]',
    `osd data = ${dir}/osd.$id`,
    ...store,
    '',
    '[client.rgw.a]',
    `rgw frontends = beast endpoint=127.0.0.1:${rgwPort}`,
    `rgw data = ${dir}/rgw`,
    // Deleted objects are freed only by garbage collection (default wait 2 h): long tests would fill the
    // memstore OSD's RAM.
    'rgw gc obj min wait = 1',
    'rgw gc processor period = 5',
    'rgw gc processor max time = 5',
    ...(input.rgwConfig ?? []),
    '',
  ].join('\n');
}
