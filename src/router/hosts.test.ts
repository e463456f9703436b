// Wildcard domains cover one label; an exact domain wins over the wildcard that covers it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lookupHost, wildcardFor } from './hosts.ts';

test('a wildcard stands for exactly one more label', () => {
  assert.equal(wildcardFor('a.example.com'), '*.example.com');
  assert.equal(wildcardFor('a.b.example.com'), '*.b.example.com');
  assert.equal(wildcardFor('example.com'), undefined);
  assert.equal(wildcardFor('localhost'), undefined);
});

test('exact first, then the wildcard; deeper names are not covered', () => {
  const table = new Map([['*.example.com', 'wild'], ['www.example.com', 'exact']]);
  assert.equal(lookupHost(table, 'www.example.com'), 'exact');
  assert.equal(lookupHost(table, 'shop.example.com'), 'wild');
  assert.equal(lookupHost(table, 'a.shop.example.com'), undefined);
  assert.equal(lookupHost(table, 'example.com'), undefined);
});
