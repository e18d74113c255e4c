import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCertificateAuthority, issueServingCertificate } from './certificates.ts';
import { canonicalIp, describeSanDifference, readSubjectAltNames } from './subjectAltNames.ts';

test('IP addresses get one spelling whatever way they were written', () => {
  assert.equal(canonicalIp('10.0.0.1'), '10.0.0.1');
  assert.equal(canonicalIp('FD00:0:0:0:0:0:1:2'), 'fd00::1:2');
  assert.equal(canonicalIp('0:0:0:0:0:0:0:1'), '::1');
  assert.equal(canonicalIp('::ffff:10.0.0.1'), canonicalIp('0:0:0:0:0:FFFF:A00:1'));
  assert.throws(() => canonicalIp('10.0.0.256'), /not an IP address/);
  assert.throws(() => canonicalIp('example.com'), /not an IP address/);
});

test('the names read back from a certificate are those it was issued for, canonical and sorted', () => {
  const ca = createCertificateAuthority('test-ca', 1);
  const serving = issueServingCertificate(ca, {
    commonName: 'x',
    dnsNames: ['b.example.com', 'A.example.com'],
    ipAddresses: ['fd00::1:2', '127.0.0.1'],
    validityDays: 1,
  });
  assert.deepEqual(readSubjectAltNames(serving.certPem), {
    dnsNames: ['a.example.com', 'b.example.com'],
    ipAddresses: ['127.0.0.1', 'fd00::1:2'],
  });
  assert.deepEqual(readSubjectAltNames(ca.certPem), { dnsNames: [], ipAddresses: [] }, 'a CA has none');
});

test('the difference between two sets of names lists what would be added and removed', () => {
  const have = { dnsNames: ['a', 'b'], ipAddresses: ['::1'] };
  assert.deepEqual(describeSanDifference(have, have), []);
  assert.deepEqual(describeSanDifference(have, { dnsNames: ['b', 'c'], ipAddresses: [] }), ['+DNS:c', '-DNS:a', '-IP:::1']);
});
