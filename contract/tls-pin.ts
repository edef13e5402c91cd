/**
 * Certificate pinning by SHA-256 fingerprint, as Elasticsearch prints it on first start ("HTTP CA
 * certificate SHA-256 fingerprint"): the server's chain must contain a certificate with that
 * fingerprint, every certificate below it must be signed by the one above, the leaf must name
 * the host and each must be within its validity dates. A fingerprint alone is not enough (a CA
 * certificate is public, anyone can send it along), so the signatures are checked here because
 * the TLS layer cannot: it does not trust a CA it was never given.
 */
import type { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate } from 'node:tls';

/** A fingerprint in the canonical form Node reports (`AB:CD:…`, upper case); undefined when malformed. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.trim().replaceAll(':', '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)?.join(':');
}

/**
 * The peer chain as X509 certificates, leaf first, each once: as Node links it, each
 * certificate followed by the one that issued it, so a certificate the server sent that
 * signed nothing below it is not part of it.
 */
function chainOf(peer: DetailedPeerCertificate): X509Certificate[] {
  const { X509Certificate } = process.getBuiltinModule('node:crypto');
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let cert: DetailedPeerCertificate | undefined = peer; cert?.raw !== undefined; cert = cert.issuerCertificate) {
    if (seen.has(cert.fingerprint256)) break;
    seen.add(cert.fingerprint256);
    chain.push(new X509Certificate(cert.raw));
  }
  return chain;
}

/**
 * Why the chain `peer` fails the pin `fingerprint` (normalised) for `host`, or undefined when it
 * passes. The text names what did not match, never a secret.
 */
export function pinProblem(
  peer: DetailedPeerCertificate,
  fingerprint: string,
  host: string,
  now: Date = new Date(),
): string | undefined {
  const chain = chainOf(peer);
  if (chain.length === 0) return 'the server sent no certificate';
  const pinned = chain.findIndex((cert) => cert.fingerprint256 === fingerprint);
  if (pinned === -1)
    return `no certificate in the server's chain has the SHA-256 fingerprint ${fingerprint} (the chain has ${chain.map((cert) => cert.fingerprint256).join(', ')}${chain.length === 1 ? ": no CA links up to the server's certificate, so the server did not send its CA or the CA did not sign it" : ''})`;
  for (let i = 0; i <= pinned; i++) {
    const cert = chain[i] as X509Certificate;
    if (now < new Date(cert.validFrom) || now > new Date(cert.validTo))
      return `certificate ${cert.subject.replaceAll('\n', ', ')} is not valid now (${cert.validFrom} to ${cert.validTo})`;
    if (i === pinned) break;
    const issuer = chain[i + 1] as X509Certificate;
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey))
      return `certificate ${cert.subject.replaceAll('\n', ', ')} is not signed by the next one in the chain`;
  }
  const leaf = chain[0] as X509Certificate;
  const { isIP } = process.getBuiltinModule('node:net');
  const bare = host.replace(/^\[|\]$/g, '');
  const named = isIP(bare) ? leaf.checkIP(bare) : leaf.checkHost(bare);
  if (named === undefined) return `the server's certificate is not issued for ${bare}`;
  return undefined;
}
