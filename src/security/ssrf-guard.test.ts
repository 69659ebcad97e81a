import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostLookup } from './ssrf-guard.ts';
import { checkProviderUrl, parseAllowedHosts } from './ssrf-guard.ts';
import { createGuardedFetch } from './ssrf-guarded-fetch.ts';

const resolvesTo =
  (...addresses: string[]): HostLookup =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

async function refusal(
  promise: Promise<unknown>,
): Promise<{ code?: string; kind?: string; message?: string }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'expected a refusal').toBeDefined();
  return error as { code?: string; kind?: string; message?: string };
}

describe('checkProviderUrl', () => {
  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/v1',
    'http://[fd00:ec2::254]/v1',
    'http://metadata.google.internal/computeMetadata/v1',
    'http://0.0.0.0:8080/v1',
    'http://[::ffff:169.254.169.254]/v1',
    'http://[::ffff:a9fe:a9fe]/v1',
  ])('always refuses %s, even when allowed', async (url) => {
    const allowedHosts = parseAllowedHosts('169.254.0.0/16,fe80::/10,metadata.google.internal,0.0.0.0');
    const error = await refusal(checkProviderUrl(url, { allowedHosts, lookup: resolvesTo('203.0.113.9') }));
    expect(error).toMatchObject({ code: 'provider_url_refused', kind: 'invalid' });
  });

  it('applies the check to the resolved address, not the name', async () => {
    const error = await refusal(
      checkProviderUrl('https://innocent.example.com/v1', {
        lookup: resolvesTo('93.184.216.34', '169.254.169.254'),
      }),
    );
    expect(error.message).toContain('169.254.169.254');
    await expect(
      checkProviderUrl('https://api.example.com/v1', { lookup: resolvesTo('93.184.216.34') }),
    ).resolves.toBeUndefined();
  });

  it.each([
    ['http://127.0.0.1:11434/v1', '127.0.0.1'],
    ['http://localhost:11434/v1', 'localhost'],
    ['http://10.1.2.3/v1', '10.0.0.0/8'],
    ['http://[::1]:8000/v1', '::1'],
    ['http://vllm.internal:8000/v1', 'vllm.internal'],
  ])('refuses private %s unless %s is allowed', async (url, allowEntry) => {
    const lookup = resolvesTo(url.includes('vllm') ? '192.168.1.20' : '127.0.0.1');
    const error = await refusal(checkProviderUrl(url, { lookup }));
    expect(error.message).toContain('FLIGHTDECK_ALLOWED_PROVIDER_HOSTS');
    await expect(
      checkProviderUrl(url, { lookup, allowedHosts: parseAllowedHosts(`example.org, ${allowEntry}`) }),
    ).resolves.toBeUndefined();
  });

  // IPv4 hosts in IPv6 clothing, broadcast and multicast: each judged as the host it reaches.
  it.each([
    ['http://[::7f00:1]/v1', 'compatible loopback', '127.0.0.1'],
    ['http://[::127.0.0.1]/v1', 'compatible loopback, dotted', '127.0.0.1'],
    ['http://[::ffff:0:7f00:1]/v1', 'translated loopback', '127.0.0.1'],
    ['http://[::ffff:7f00:1]/v1', 'mapped loopback', '127.0.0.1'],
    ['http://[64:ff9b::7f00:1]/v1', 'NAT64 loopback', '127.0.0.1'],
    ['http://[64:ff9b::a9fe:a9fe]/v1', 'NAT64 metadata', '169.254.169.254'],
    ['http://[64:ff9b::10.0.0.1]/v1', 'NAT64 private, dotted', '10.0.0.1'],
    ['http://[64:ff9b:1::a00:1]/v1', 'local-use NAT64 private', '10.0.0.1'],
    ['http://[2002:7f00:1::]/v1', '6to4 loopback', '127.0.0.1'],
    ['http://255.255.255.255/v1', 'broadcast', '255.255.255.255'],
    ['http://224.0.0.1/v1', 'multicast', '224.0.0.1'],
    ['http://239.255.255.250:1900/v1', 'multicast (SSDP)', '239.255.255.250'],
    ['http://240.0.0.1/v1', 'reserved', '240.0.0.1'],
    ['http://[ff02::1]/v1', 'IPv6 multicast', 'ff02::1'],
    ['http://[::ffff:e000:1]/v1', 'mapped multicast', '224.0.0.1'],
  ])('refuses %s (%s) with no allow list, naming %s', async (url, _form, shown) => {
    const error = await refusal(checkProviderUrl(url));
    expect(error).toMatchObject({ code: 'provider_url_refused', kind: 'invalid' });
    expect(error.message).toContain(shown);
  });

  it('refuses a name that resolves to a disguised loopback or a multicast address', async () => {
    for (const address of ['::7f00:1', '64:ff9b::7f00:1', '224.0.0.251']) {
      const error = await refusal(
        checkProviderUrl('https://innocent.example.com/v1', { lookup: resolvesTo(address) }),
      );
      expect(error.code).toBe('provider_url_refused');
    }
  });

  it('lets NAT64 reach a public IPv4 host and names the webhook subject when asked', async () => {
    await expect(checkProviderUrl('http://[64:ff9b::5db8:d822]/v1')).resolves.toBeUndefined();
    const error = await refusal(
      checkProviderUrl('http://[::7f00:1]/hook', {
        subject: 'The alert webhook URL',
        code: 'webhook_url_refused',
      }),
    );
    expect(error).toMatchObject({ code: 'webhook_url_refused' });
    expect(error.message).toMatch(/^The alert webhook URL http:\/\/\[::7f00:1\]\/hook is refused/);
  });

  it('refuses non-http schemes and unparsable URLs', async () => {
    expect((await refusal(checkProviderUrl('file:///etc/passwd'))).code).toBe('provider_url_refused');
    expect((await refusal(checkProviderUrl('not a url'))).code).toBe('provider_url_refused');
  });
});

describe('parseAllowedHosts', () => {
  it('reads hostnames, IPs and CIDRs, and rejects a malformed CIDR', () => {
    const allowed = parseAllowedHosts(' Ollama.Local , 10.0.0.0/8,[::1], 192.168.1.5 ,');
    expect([...allowed.hostnames]).toEqual(['ollama.local']);
    expect(allowed.networks.check('10.9.9.9', 'ipv4')).toBe(true);
    expect(allowed.networks.check('192.168.1.5', 'ipv4')).toBe(true);
    expect(allowed.networks.check('::1', 'ipv6')).toBe(true);
    expect(allowed.networks.check('11.0.0.1', 'ipv4')).toBe(false);
    expect(() => parseAllowedHosts('10.0.0.0/40')).toThrow(/FLIGHTDECK_ALLOWED_PROVIDER_HOSTS/);
  });
});

describe('createGuardedFetch', () => {
  let origin = '';
  let otherOrigin = '';
  /** A second origin (same host, another port) that reports what reached it. */
  const other = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          method: request.method,
          body,
          authorization: request.headers.authorization ?? null,
          apiKey: request.headers['x-api-key'] ?? null,
          contentType: request.headers['content-type'] ?? null,
        }),
      );
    });
  });
  const server = createServer((request, response) => {
    const redirect = /^\/redirect\/(\d{3})\/(same|other)$/.exec(request.url ?? '');
    if (redirect) {
      response.writeHead(Number(redirect[1]), {
        location: `${redirect[2] === 'same' ? origin : otherOrigin}/echo`,
      });
      response.end();
      return;
    }
    if (request.url === '/echo') {
      other.emit('request', request, response);
      return;
    }
    if (request.url === '/to-metadata') {
      response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      response.end();
    } else if (request.url === '/to-ok') {
      response.writeHead(307, { location: '/ok' });
      response.end();
    } else {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(`${request.method} ok`);
    }
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => other.close(resolve));
  });

  const credentials = {
    authorization: 'Bearer sk-redirect-canary',
    'x-api-key': 'sk-ant-redirect-canary',
    'content-type': 'application/json',
  };

  it.each([301, 302, 303, 307, 308])(
    'drops Authorization and x-api-key on a %i to another origin, keeps them on the same origin',
    async (status) => {
      const fetch = guarded();
      const toOther = await (
        await fetch(`${origin}/redirect/${status}/other`, {
          method: 'POST',
          headers: credentials,
          body: '{"a":1}',
        })
      ).json();
      expect(toOther).toMatchObject({ authorization: null, apiKey: null });
      const toSame = await (
        await fetch(`${origin}/redirect/${status}/same`, {
          method: 'POST',
          headers: credentials,
          body: '{"a":1}',
        })
      ).json();
      expect(toSame).toMatchObject({
        authorization: credentials.authorization,
        apiKey: credentials['x-api-key'],
      });
    },
  );

  it.each([
    [307, 'POST', '{"a":1}', 'application/json'],
    [308, 'POST', '{"a":1}', 'application/json'],
    [301, 'GET', '', null],
    [302, 'GET', '', null],
    [303, 'GET', '', null],
  ])('after a %i the next hop is %s with body %j', async (status, method, body, contentType) => {
    const answer = await (
      await guarded()(`${origin}/redirect/${status}/other`, {
        method: 'POST',
        headers: credentials,
        body: '{"a":1}',
      })
    ).json();
    expect(answer).toEqual({ method, body, authorization: null, apiKey: null, contentType });
  });

  const guarded = () => createGuardedFetch({ allowedHosts: parseAllowedHosts('127.0.0.1') });

  it('follows a redirect to an allowed host, keeping the method on 307', async () => {
    const response = await guarded()(`${origin}/to-ok`, { method: 'POST', body: '{}' });
    expect(await response.text()).toBe('POST ok');
  });

  it('does not follow a redirect to a refused host', async () => {
    const error = await refusal(guarded()(`${origin}/to-metadata`));
    expect(error.code).toBe('provider_url_refused');
  });

  it('refuses a private host that is not allowed before any request is sent', async () => {
    const error = await refusal(createGuardedFetch()(`${origin}/ok`));
    expect(error.code).toBe('provider_url_refused');
  });
});
