import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { clientAddress, TrustedProxies } from '../../src/http/client-address.js';
import { ConfigError, loadServerConfig } from '../../src/server/config.js';

function requestFrom(peer: string, ...forwarded: string[]): IncomingMessage {
  return { socket: { remoteAddress: peer }, headersDistinct: forwarded.length === 0 ? {} : { 'x-forwarded-for': forwarded } } as unknown as IncomingMessage;
}

const PROXIES = TrustedProxies.parse('10.0.0.0/8, 192.168.1.5,fd00::/8')!;

describe('clientAddress', () => {
  it('is the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    assert.equal(clientAddress(requestFrom('::ffff:203.0.113.9', '198.51.100.1'), TrustedProxies.NONE), '203.0.113.9');
  });

  it('is the peer when the peer is not a trusted proxy', () => {
    assert.equal(clientAddress(requestFrom('203.0.113.9', '198.51.100.1'), PROXIES), '203.0.113.9');
  });

  it('through trusted proxies: the right-most address they do not cover, across repeated headers', () => {
    assert.equal(clientAddress(requestFrom('10.1.1.1', '198.51.100.1, 203.0.113.9'), PROXIES), '203.0.113.9');
    assert.equal(clientAddress(requestFrom('::ffff:10.1.1.1', '6.6.6.6, 203.0.113.9, 10.2.2.2', '192.168.1.5'), PROXIES), '203.0.113.9');
    assert.equal(clientAddress(requestFrom('fd00::1', '2001:db8::7, fd00::2'), PROXIES), '2001:db8::7');
  });

  it('stops at a hop that is not an address, and with no header keeps the proxy itself', () => {
    assert.equal(clientAddress(requestFrom('10.1.1.1', 'unknown, 10.2.2.2'), PROXIES), '10.2.2.2');
    assert.equal(clientAddress(requestFrom('10.1.1.1', 'garbage'), PROXIES), '10.1.1.1');
    assert.equal(clientAddress(requestFrom('10.1.1.1'), PROXIES), '10.1.1.1');
    assert.equal(clientAddress(requestFrom('10.1.1.1', '10.3.3.3, 10.2.2.2'), PROXIES), '10.3.3.3');
  });

  it('--trusted-proxy and LATCHKEY_TRUSTED_PROXY: CIDR lists; anything else refuses to start', () => {
    assert.equal(loadServerConfig([], {}).trustedProxies, undefined);
    assert.ok(loadServerConfig(['--trusted-proxy', '127.0.0.1,10.0.0.0/8'], {}).trustedProxies?.trusts('10.9.9.9'));
    assert.ok(loadServerConfig([], { LATCHKEY_TRUSTED_PROXY: '::1' }).trustedProxies?.trusts('::1'));
    for (const bad of ['10.0.0.0/33', 'localhost', '10.0.0.0/8,', 'any']) {
      assert.throws(() => loadServerConfig(['--trusted-proxy', bad], {}), ConfigError, bad);
    }
  });
});
