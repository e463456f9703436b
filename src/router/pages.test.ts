// An app's own pages are framed, never inlined; only http(s) URLs are used, escaped for the attribute.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APPLICATION_ERROR_PAGE, appPages, MAINTENANCE_PAGE, pageUrl } from './pages.ts';

test('only http and https URLs are taken', () => {
  assert.equal(pageUrl('https://example.com/e.html'), 'https://example.com/e.html');
  assert.equal(pageUrl('javascript:alert(1)'), undefined);
  assert.equal(pageUrl('/relative.html'), undefined);
  assert.equal(pageUrl(''), undefined);
});

test('the app\'s URL in an iframe, escaped; the router\'s pages otherwise', () => {
  const pages = appPages({ errorPageUrl: 'https://example.com/e.html?x="<b>"', maintenancePageUrl: 'ftp://example.com/m' });
  assert.match(pages.error, /<title>Application Error<\/title>/);
  assert.match(pages.error, /<iframe src="https:\/\/example\.com\/e\.html\?x=%22%3Cb%3E%22"><\/iframe>/);
  assert.equal(pages.maintenance, MAINTENANCE_PAGE);
  assert.equal(appPages({}).error, APPLICATION_ERROR_PAGE);
});
