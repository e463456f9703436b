// Writes the certificates of a CA bundle that this node does not already trust (its bundled Mozilla
// roots, tls.rootCertificates) to OUT, and prints how many. NODE_EXTRA_CA_CERTS pointing at OUT then
// gives node exactly the trust it would have with the whole bundle, without parsing ~140 certificates
// it already holds at every start (that doubled a small app's boot CPU).
// Usage: node ca-extra.cjs BUNDLE OUT
'use strict';
const fs = require('fs');
const tls = require('tls');

const [bundle, out] = process.argv.slice(2);
const body = (pem) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
const known = new Set(tls.rootCertificates.map(body));
const pems = fs.readFileSync(bundle, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) || [];
const extra = pems.filter((pem) => !known.has(body(pem)));
fs.writeFileSync(out, extra.map((pem) => `${pem}\n`).join(''));
process.stdout.write(`${extra.length}\n`);
