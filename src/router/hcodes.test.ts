// Unit tests of the H-code table against Heroku's documented descs, levels and statuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { H_CODES, hcode, type HCode } from './hcodes.ts';

describe('H-code table', () => {
  it('has the codes the router emits, with Heroku\'s exact descs', () => {
    const expected: Partial<Record<HCode, string>> = {
      H10: 'App crashed',
      H12: 'Request timeout',
      H13: 'Connection closed without response',
      H14: 'No web processes running',
      H18: 'Server Request Interrupted',
      H19: 'Backend connection timeout',
      H20: 'App boot timeout',
      H21: 'Backend connection refused',
      H24: 'Forced close',
      H27: 'Client Request Interrupted',
    };
    for (const [code, desc] of Object.entries(expected)) assert.equal(hcode(code as HCode).desc, desc, code);
  });

  it('gives 503 for the dyno-side errors, 499 for client interruptions, nothing for H24', () => {
    for (const code of ['H10', 'H12', 'H13', 'H14', 'H18', 'H19', 'H20', 'H21'] as const) assert.equal(H_CODES[code].status, 503, code);
    assert.equal(H_CODES.H27.status, 499);
    assert.equal(H_CODES.H28.status, 499);
    assert.equal(H_CODES.H24.status, undefined);
  });

  it('logs warnings for client-side codes, info for maintenance, errors otherwise, and sock= where Heroku does', () => {
    for (const [code, info] of Object.entries(H_CODES)) {
      const want = ['H27', 'H28'].includes(code) ? 'warning' : ['H80', 'H81'].includes(code) ? 'info' : 'error';
      assert.equal(info.at, want, code);
    }
    assert.equal(hcode('H18').sock, 'backend');
    assert.equal(hcode('H27').sock, 'client');
    assert.equal(hcode('H12').sock, undefined);
  });
});
