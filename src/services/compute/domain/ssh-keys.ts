/**
 * Key material for key pairs, with node:crypto only: parsing and checking OpenSSH public
 * keys, their MD5 fingerprint (colon-separated hex of the key blob, as `ssh-keygen -l -E
 * md5` shows), X.509 certificate fingerprints (SHA-1), and generating an RSA key pair or a
 * self-signed client certificate.
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto'
import { KeypairInvalid } from '../errors.js'

const colonHex = (buf: Buffer) => buf.toString('hex').match(/../g)!.join(':')

class Reader {
  private at = 0
  constructor(private readonly buf: Buffer) {}
  string(): Buffer {
    if (this.at + 4 > this.buf.length) throw new Error('truncated key')
    const len = this.buf.readUInt32BE(this.at)
    this.at += 4
    if (this.at + len > this.buf.length) throw new Error('truncated key')
    const out = this.buf.subarray(this.at, this.at + len)
    this.at += len
    return out
  }
  get done(): boolean {
    return this.at === this.buf.length
  }
}

const b64url = (b: Buffer) => b.toString('base64url')
const unsigned = (b: Buffer) => {
  let i = 0
  while (i < b.length - 1 && b[i] === 0) i++
  return b.subarray(i)
}

const CURVES: Record<string, { crv: string; size: number }> = {
  nistp256: { crv: 'P-256', size: 32 },
  nistp384: { crv: 'P-384', size: 48 },
  nistp521: { crv: 'P-521', size: 66 },
}

/** Checks that the text is an OpenSSH public key node can load; throws otherwise. */
function loadSshKey(text: string): void {
  const parts = text.trim().split(/\s+/)
  if (parts.length < 2) throw new Error('not an OpenSSH public key')
  const [type, data] = parts as [string, string]
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw new Error('bad base64')
  const r = new Reader(Buffer.from(data, 'base64'))
  const inner = r.string().toString('latin1')
  if (inner !== type) throw new Error('key type mismatch')
  if (type === 'ssh-rsa') {
    const e = r.string()
    const n = r.string()
    createPublicKey({ key: { kty: 'RSA', e: b64url(unsigned(e)), n: b64url(unsigned(n)) }, format: 'jwk' })
  } else if (type === 'ssh-ed25519') {
    const key = r.string()
    if (key.length !== 32) throw new Error('bad ed25519 key')
    createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(key) }, format: 'jwk' })
  } else if (type.startsWith('ecdsa-sha2-')) {
    const curve = CURVES[r.string().toString('latin1')]
    const q = r.string()
    if (!curve || type !== `ecdsa-sha2-${Object.keys(CURVES).find((k) => CURVES[k] === curve)}`)
      throw new Error('unknown curve')
    if (q.length !== 1 + 2 * curve.size || q[0] !== 4) throw new Error('bad point')
    const x = q.subarray(1, 1 + curve.size)
    const y = q.subarray(1 + curve.size)
    createPublicKey({ key: { kty: 'EC', crv: curve.crv, x: b64url(x), y: b64url(y) }, format: 'jwk' })
  } else if (type === 'ssh-dss') {
    for (let i = 0; i < 4; i++) r.string()
  } else {
    throw new Error(`unsupported key type ${type}`)
  }
  if (!r.done) throw new Error('trailing data in key')
}

/** The MD5 fingerprint of an OpenSSH public key; KeypairInvalid when it is not one. */
export function sshFingerprint(publicKey: string): string {
  try {
    loadSshKey(publicKey)
    // NOTE: upstream hashes the second space-separated field as written.
    return colonHex(
      createHash('md5')
        .update(Buffer.from(publicKey.split(' ')[1]!, 'base64'))
        .digest(),
    )
  } catch {
    throw new KeypairInvalid('failed to generate fingerprint')
  }
}

/** The SHA-1 fingerprint of a PEM certificate; KeypairInvalid when it is not one. */
export function x509Fingerprint(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint.toLowerCase()
  } catch (e) {
    throw new KeypairInvalid(`failed to generate X509 fingerprint. Error message: ${(e as Error).message}`)
  }
}

export interface GeneratedKey {
  privateKey: string
  publicKey: string
  fingerprint: string
}

function mpint(b: Buffer): Buffer {
  const v = unsigned(b)
  return v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v
}
function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(b.length)
  return Buffer.concat([len, b])
}

/** A 2048-bit RSA key pair: the private key as PKCS#1 PEM, the public one in OpenSSH form. */
export function generateSshKey(): GeneratedKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = publicKey.export({ format: 'jwk' }) as { e: string; n: string }
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    sshString(mpint(Buffer.from(jwk.e, 'base64url'))),
    sshString(mpint(Buffer.from(jwk.n, 'base64url'))),
  ])
  const pub = `ssh-rsa ${blob.toString('base64')} Generated-by-Cloudlet`
  return {
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    publicKey: pub,
    fingerprint: sshFingerprint(pub),
  }
}

// --- a minimal DER writer for a self-signed certificate

function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content)
  const n = body.length
  const len =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff])
  return Buffer.concat([Buffer.from([tag]), len, body])
}
const seq = (...c: Buffer[]) => der(0x30, ...c)
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]]
  const bytes = [40 * a + b]
  for (const v of rest) {
    const chunk = [v & 0x7f]
    for (let x = v >> 7; x > 0; x >>= 7) chunk.unshift((x & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return der(0x06, Buffer.from(bytes))
}
const utcTime = (d: Date) =>
  der(0x17, Buffer.from(`${d.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`, 'latin1'))
const name = (cn: string) => seq(der(0x31, seq(oid('2.5.4.3'), der(0x0c, Buffer.from(cn, 'utf8')))))

/**
 * A self-signed client certificate for `CN=<userId>` valid ten years (what a Windows
 * guest uses for password-less WinRM): the certificate and the private key as PEM.
 */
export function generateX509(userId: string): GeneratedKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const sha256WithRsa = seq(oid('1.2.840.113549.1.1.11'), der(0x05))
  const serial = randomBytes(16)
  serial[0]! &= 0x7f
  const now = new Date()
  const later = new Date(now.getTime() + 3650 * 86400_000)
  const clientAuth = seq(oid('2.5.29.37'), der(0x04, seq(oid('1.3.6.1.5.5.7.3.2'))))
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, serial),
    sha256WithRsa,
    name(userId),
    seq(utcTime(now), utcTime(later)),
    name(userId),
    publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, seq(clientAuth)),
  )
  const signature = sign('sha256', tbs, privateKey)
  const cert = seq(tbs, sha256WithRsa, der(0x03, Buffer.concat([Buffer.from([0]), signature])))
  const pem = `-----BEGIN CERTIFICATE-----\n${cert
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: pem,
    fingerprint: x509Fingerprint(pem),
  }
}
