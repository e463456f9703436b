// Unit tests of the stack builder's pure parts: progress condensing and the stack location.
// (Building the stack for real is exercised by runc.test.ts, which needs it.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_STACK_DIR, createProgressCondenser, defaultStackDir } from './stack.ts';

test('debootstrap per-package lines are condensed into counters; other lines pass through', () => {
  const out: string[] = [];
  const c = createProgressCondenser((l) => out.push(l), 2);
  const lines = [
    'I: Retrieving InRelease ',
    'I: Checking Release signature',
    'I: Retrieving adduser 3.134',
    'I: Validating adduser 3.134',
    'I: Retrieving apt 2.6.1',
    'I: Validating apt 2.6.1',
    'I: Retrieving base-files 12.4',
    'I: Validating base-files 12.4',
    'I: Chosen extractor for .deb packages: dpkg-deb',
    'I: Extracting adduser...',
    'I: Unpacking required packages...',
    'I: Unpacking adduser...',
    'W: Failure trying to run: chroot',
    'I: Configuring libc6...',
  ];
  for (const l of lines) c.line(l);
  c.flush();
  assert.deepEqual(out, [
    'Retrieving InRelease',
    'Checking Release signature',
    'Retrieving ... (2)',
    'Retrieving ... (3)',
    'Chosen extractor for .deb packages: dpkg-deb',
    'Extracting ... (1)',
    'Unpacking required packages...',
    'Unpacking ... (1)',
    'W: Failure trying to run: chroot',
    'Configuring ... (1)',
  ]);
});

test('a counter is not repeated when the phase ends right after a periodic line', () => {
  const out: string[] = [];
  const c = createProgressCondenser((l) => out.push(l), 2);
  c.line('I: Unpacking a...');
  c.line('I: Unpacking b...');
  c.line('I: Configuring the base system...');
  assert.deepEqual(out, ['Unpacking ... (2)', 'Configuring the base system...']);
});

test('the stack lives in SLIPWAY_STACK_DIR when set, else under /var/lib/slipway', () => {
  assert.equal(defaultStackDir({}), DEFAULT_STACK_DIR);
  assert.equal(defaultStackDir({ SLIPWAY_STACK_DIR: '/srv/stack' }), '/srv/stack');
  assert.equal(DEFAULT_STACK_DIR, '/var/lib/slipway/stacks/slipway-12');
});
