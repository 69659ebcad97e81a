import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { FlightdeckError } from '../core/errors.ts';

/**
 * Guards custom provider base URLs against server-side request forgery. Link-local and cloud
 * metadata addresses are always refused; loopback and private ranges only when the operator listed
 * the host, IP or CIDR in FLIGHTDECK_ALLOWED_PROVIDER_HOSTS (e.g. a local Ollama). The check runs on
 * the addresses the hostname resolves to, so a public name pointing at 169.254.169.254 is refused.
 */

export interface AllowedHosts {
  hostnames: ReadonlySet<string>;
  networks: BlockList;
}

export type HostLookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface ProviderUrlCheckOptions {
  allowedHosts?: AllowedHosts;
  /** DNS resolution; injected in tests. Default: the system resolver, all addresses. */
  lookup?: HostLookup;
  /** How the refusal names the URL and its code; default "The provider base URL", `provider_url_refused`. */
  subject?: string;
  code?: string;
}

const metadataHostnames = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

/**
 * Never reachable, whatever the allow list says: link-local (cloud metadata lives there), "this
 * host", broadcast, multicast and the reserved 240/4 — none of them is an HTTP API.
 */
const alwaysRefused = new BlockList();
alwaysRefused.addSubnet('169.254.0.0', 16, 'ipv4');
alwaysRefused.addSubnet('0.0.0.0', 8, 'ipv4');
alwaysRefused.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
alwaysRefused.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
alwaysRefused.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved, 255.255.255.255 (broadcast) included
alwaysRefused.addSubnet('fe80::', 10, 'ipv6');
alwaysRefused.addSubnet('ff00::', 8, 'ipv6'); // multicast
alwaysRefused.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
alwaysRefused.addAddress('::', 'ipv6');

/** Reachable only when allowed: loopback, private, carrier-grade NAT and unique-local ranges. */
const restricted = new BlockList();
restricted.addSubnet('127.0.0.0', 8, 'ipv4');
restricted.addSubnet('10.0.0.0', 8, 'ipv4');
restricted.addSubnet('172.16.0.0', 12, 'ipv4');
restricted.addSubnet('192.168.0.0', 16, 'ipv4');
restricted.addSubnet('100.64.0.0', 10, 'ipv4');
restricted.addSubnet('198.18.0.0', 15, 'ipv4');
restricted.addAddress('::1', 'ipv6');
restricted.addSubnet('fc00::', 7, 'ipv6');

/** Parses FLIGHTDECK_ALLOWED_PROVIDER_HOSTS: comma-separated hostnames, IPs or CIDRs. Throws on a malformed CIDR. */
export function parseAllowedHosts(text: string | undefined): AllowedHosts {
  const hostnames = new Set<string>();
  const networks = new BlockList();
  for (const rawEntry of (text ?? '').split(',')) {
    const entry = rawEntry
      .trim()
      .toLowerCase()
      .replace(/^\[|\]$/g, '');
    if (!entry) continue;
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    if (family !== 0 && address) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (prefix === undefined) {
        networks.addAddress(address, type);
        continue;
      }
      const length = Number(prefix);
      if (!Number.isInteger(length) || length < 0 || length > (family === 4 ? 32 : 128)) {
        throw invalidAllowedHost(entry);
      }
      networks.addSubnet(address, length, type);
      continue;
    }
    if (prefix !== undefined) throw invalidAllowedHost(entry);
    hostnames.add(entry);
  }
  return { hostnames, networks };
}

const emptyAllowedHosts: AllowedHosts = { hostnames: new Set(), networks: new BlockList() };

const defaultLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Refuses the URL (throws `provider_url_refused`) unless every address it resolves to may be called. */
export async function checkProviderUrl(
  url: string | URL,
  options: ProviderUrlCheckOptions = {},
): Promise<void> {
  const allowed = options.allowedHosts ?? emptyAllowedHosts;
  const refused = (url: string, reason: string) => refusal(url, reason, options);
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw refused(String(url), 'it is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw refused(parsed.href, 'only http and https are allowed');
  }
  const hostname = parsed.hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (metadataHostnames.has(hostname)) throw refused(parsed.href, 'it is a cloud metadata endpoint');
  const hostnameAllowed = allowed.hostnames.has(hostname);
  const addresses = isIP(hostname)
    ? [{ address: hostname, family: isIP(hostname) }]
    : await (options.lookup ?? defaultLookup)(hostname).catch((error: unknown) => {
        throw refused(parsed.href, `its host does not resolve (${(error as Error).message})`);
      });
  if (addresses.length === 0) throw refused(parsed.href, 'its host does not resolve');
  for (const { address } of addresses) {
    const normalized = embeddedIpv4(address) ?? address;
    const type = isIP(normalized) === 4 ? 'ipv4' : 'ipv6';
    if (alwaysRefused.check(normalized, type)) {
      throw refused(
        parsed.href,
        `it resolves to ${normalized}, a link-local, metadata, broadcast or multicast address`,
      );
    }
    if (restricted.check(normalized, type) && !hostnameAllowed && !allowed.networks.check(normalized, type)) {
      throw refused(
        parsed.href,
        `it resolves to the private address ${normalized}; add the host to FLIGHTDECK_ALLOWED_PROVIDER_HOSTS to allow it`,
      );
    }
  }
}

/**
 * IPv6 forms that carry an IPv4 address — mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`,
 * translated `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4 `2002::/16` —
 * reach that IPv4 host, so they are judged as it: `[::7f00:1]` is loopback.
 */
export function embeddedIpv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  if (!groups) return undefined;
  const at = (index: number) => groups[index] ?? 0;
  const dotted = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  if (zeros(0, 5) && at(5) === 0xffff) return dotted(at(6), at(7)); // mapped
  if (zeros(0, 4) && at(4) === 0xffff && at(5) === 0) return dotted(at(6), at(7)); // translated
  // Compatible (deprecated); `::` and `::1` are IPv6's own and judged as such.
  if (zeros(0, 6) && (at(6) !== 0 || at(7) > 1)) return dotted(at(6), at(7));
  if (at(0) === 0x64 && at(1) === 0xff9b && zeros(2, 6)) return dotted(at(6), at(7)); // NAT64
  if (at(0) === 0x64 && at(1) === 0xff9b && at(2) === 1) return dotted(at(6), at(7)); // local NAT64
  if (at(0) === 0x2002) return dotted(at(1), at(2)); // 6to4
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted quad included), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase().replace(/%.*$/, '');
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const first = parse(head);
  const last = tail === undefined ? [] : parse(tail);
  const groups = [...first, ...new Array(8 - first.length - last.length).fill(0), ...last];
  return groups.length === 8 ? groups : undefined;
}

function refusal(url: string, reason: string, options: ProviderUrlCheckOptions): FlightdeckError {
  return new FlightdeckError({
    code: options.code ?? 'provider_url_refused',
    kind: 'invalid',
    message: `${options.subject ?? 'The provider base URL'} ${url} is refused: ${reason}.`,
    details: { url },
  });
}

function invalidAllowedHost(entry: string): FlightdeckError {
  return new FlightdeckError({
    code: 'invalid_allowed_provider_host',
    kind: 'invalid',
    message: `FLIGHTDECK_ALLOWED_PROVIDER_HOSTS has an invalid entry "${entry}": use a hostname, an IP or a CIDR such as 10.0.0.0/8.`,
  });
}
