/**
 * Certificates for TLS tests, made with the real `openssl` binary in a temporary directory: a CA
 * and a server certificate it signs for 127.0.0.1 (IP SAN), as an Elasticsearch 8 install makes
 * its `http_ca.crt` and `http.p12` (also usable as a client certificate, as TLS Redis Cluster nodes
 * need); a second, unrelated CA for "wrong CA" cases; and an
 * impostor's chain that carries the real CA certificate above a certificate it did not sign.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Files and fingerprints of one set of test certificates. */
export interface TestCerts {
  readonly dir: string;
  /** PEM of the CA that signed the server certificate. */
  readonly caFile: string;
  /** PEM of a CA that signed nothing here. */
  readonly otherCaFile: string;
  readonly serverKey: string;
  readonly serverCert: string;
  /** The server certificate followed by its CA, as Elasticsearch 8 presents its HTTP chain. */
  readonly serverChain: string;
  /** An impostor's chain: a certificate for 127.0.0.1 signed by the other CA, followed by the real CA. */
  readonly forgedChain: string;
  /** SHA-256 of the CA as Elasticsearch prints it: 64 hex digits, lower case, no colons. */
  readonly caFingerprint: string;
  /** SHA-256 of the other CA, same form. */
  readonly otherCaFingerprint: string;
  remove(): void;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=dtq test ${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function fingerprintOf(file: string): string {
  return new X509Certificate(readFileSync(file)).fingerprint256.replaceAll(':', '').toLowerCase();
}

/** Make a CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA. */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-certs-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  ]);
  // clientAuth too: the nodes of a TLS Redis Cluster present this certificate to each other on
  // the cluster bus, where each side verifies the other's as a client's.
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'other-ca.crt',
    '-CAkey',
    'other-ca.key',
    '-CAcreateserial',
    '-out',
    'forged.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
  writeFileSync(
    join(dir, 'forged-chain.crt'),
    readFileSync(join(dir, 'forged.crt'), 'utf8') + readFileSync(join(dir, 'ca.crt'), 'utf8'),
  );
  writeFileSync(
    join(dir, 'server-chain.crt'),
    readFileSync(join(dir, 'server.crt'), 'utf8') + readFileSync(join(dir, 'ca.crt'), 'utf8'),
  );
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    otherCaFile: join(dir, 'other-ca.crt'),
    serverKey: join(dir, 'server.key'),
    serverCert: join(dir, 'server.crt'),
    serverChain: join(dir, 'server-chain.crt'),
    forgedChain: join(dir, 'forged-chain.crt'),
    caFingerprint: fingerprintOf(join(dir, 'ca.crt')),
    otherCaFingerprint: fingerprintOf(join(dir, 'other-ca.crt')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
