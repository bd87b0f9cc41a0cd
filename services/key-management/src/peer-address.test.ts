import { describe, expect, it } from 'vitest';
import { peerAddress } from './peer-address.ts';

describe('peerAddress', () => {
  it.each([
    ['127.0.0.1:5301', '127.0.0.1'],
    ['ipv4:10.0.0.7:80', '10.0.0.7'],
    ['[::1]:5301', '::1'],
    ['ipv6:[2001:db8::1]:443', '2001:db8::1'],
    ['[::1]', '::1'],
    ['unix:/tmp/pm.sock', 'unix:/tmp/pm.sock'],
    ['localhost', 'localhost'],
  ])('%s → %s', (peer, address) => {
    expect(peerAddress(peer)).toBe(address);
  });
});
