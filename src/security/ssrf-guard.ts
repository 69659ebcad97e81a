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
}

const metadataHostnames = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Never reachable, whatever the allow list says: link-local (cloud metadata lives there) and "this host". */
const alwaysRefused = new BlockList();
alwaysRefused.addSubnet('169.254.0.0', 16, 'ipv4');
alwaysRefused.addSubnet('0.0.0.0', 8, 'ipv4');
alwaysRefused.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
alwaysRefused.addSubnet('fe80::', 10, 'ipv6');
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
    const normalized = unmapIpv4(address);
    const type = isIP(normalized) === 4 ? 'ipv4' : 'ipv6';
    if (alwaysRefused.check(normalized, type)) {
      throw refused(parsed.href, `it resolves to ${normalized}, a link-local or metadata address`);
    }
    if (restricted.check(normalized, type) && !hostnameAllowed && !allowed.networks.check(normalized, type)) {
      throw refused(
        parsed.href,
        `it resolves to the private address ${normalized}; add the host to FLIGHTDECK_ALLOWED_PROVIDER_HOSTS to allow it`,
      );
    }
  }
}

/** `::ffff:169.254.169.254` is the IPv4 address in disguise; judge it as IPv4. */
function unmapIpv4(address: string): string {
  const lower = address.toLowerCase();
  const dotted = /^(?:0{0,4}:){0,5}ffff:(\d+\.\d+\.\d+\.\d+)$|^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return (dotted[1] ?? dotted[2]) as string;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex?.[1] && hex[2]) {
    const high = Number.parseInt(hex[1], 16);
    const low = Number.parseInt(hex[2], 16);
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return address;
}

function refused(url: string, reason: string): FlightdeckError {
  return new FlightdeckError({
    code: 'provider_url_refused',
    kind: 'invalid',
    message: `The provider base URL ${url} is refused: ${reason}.`,
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
