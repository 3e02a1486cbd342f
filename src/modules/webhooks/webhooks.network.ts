import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/**
 * Where webhooks may go. A workspace admin names the URL, and the server makes the request and shows the answer, so
 * without a rule any admin could read the server's own network: the cloud metadata service, a database port, an
 * internal admin page (server-side request forgery). By default a delivery only connects to public addresses — the
 * check is made on the address actually connected to, after the name is resolved, so a name that resolves to an
 * internal address (or changes to one later) is refused too. An install whose receivers live on its own network sets
 * `RAPPORT_WEBHOOK_PRIVATE_NETWORKS=allow`.
 */
export function privateNetworksAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.RAPPORT_WEBHOOK_PRIVATE_NETWORKS === 'allow';
}

const internal = new net.BlockList();
for (const [net4, prefix] of [
  ['0.0.0.0', 8], // "this" network; 0.0.0.0 reaches the local host
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local: cloud metadata services
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  internal.addSubnet(net4, prefix, 'ipv4');
for (const [net6, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  internal.addSubnet(net6, prefix, 'ipv6');

/** The IPv4 address an IPv6 address carries (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`), if any. */
function embeddedIpv4(ip: string): string | null {
  const m = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(ip);
  if (!m) return null;
  if (m[1]) return m[1];
  const hi = parseInt(m[2] ?? '0', 16);
  const lo = parseInt(m[3] ?? '0', 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Whether a literal IP address is on a loopback, private, link-local, shared, multicast or reserved network. */
export function isInternalAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '');
  const family = net.isIP(bare);
  if (family === 4) return internal.check(bare, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(bare);
    return v4 !== null ? internal.check(v4, 'ipv4') : internal.check(bare, 'ipv6');
  }
  return false;
}

/**
 * Why a webhook URL's host is refused when saved (null when it is not): an internal IP address written as such, or
 * `localhost`. Names are checked again, resolved, at every delivery.
 */
export function internalHostProblem(url: URL, allowPrivate = privateNetworksAllowed()): string | null {
  if (allowPrivate) return null;
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || isInternalAddress(host))
    return `points to an internal network address (${url.hostname}); webhooks go to public addresses unless the server sets RAPPORT_WEBHOOK_PRIVATE_NETWORKS=allow`;
  return null;
}

export class InternalAddressError extends Error {
  constructor(host: string, address: string) {
    super(`${host} resolves to an internal network address (${address}); webhooks go to public addresses`);
    this.name = 'InternalAddressError';
  }
}

/** dns.lookup, refusing an internal address: the connection is made to what this returns, so nothing slips between. */
const guardedLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => isInternalAddress(a.address));
    if (bad) return callback(new InternalAddressError(hostname, bad.address), '', 0);
    if ((options as dns.LookupOptions).all)
      return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    const first = list[0];
    if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
    callback(null, first.address, first.family);
  });
};

export type PostResult = { status: number; excerpt: string };

/**
 * POSTs `body` to `url` and reads at most `maxChars` of the answer; the whole exchange within `timeoutMs` (then an
 * AbortError). Redirects are not followed. Internal addresses are refused unless `allowPrivate`.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; maxChars: number; allowPrivate?: boolean },
): Promise<PostResult> {
  const allowPrivate = opts.allowPrivate ?? privateNetworksAllowed();
  const u = new URL(url);
  if (u.username || u.password)
    return Promise.reject(new Error('the URL carries a user name or password, which webhooks do not send'));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && net.isIP(host) && isInternalAddress(host))
    return Promise.reject(new InternalAddressError(u.hostname, host));
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const client = u.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    const req = client.request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal,
        ...(allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        res.setEncoding('utf8');
        let text = '';
        const done = () => resolve({ status: res.statusCode ?? 0, excerpt: text });
        res.on('data', (chunk: string) => {
          text += chunk;
          if (text.length > opts.maxChars) {
            res.destroy();
            done();
          }
        });
        res.on('end', done);
        res.on('error', () => done());
        res.on('close', done);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
