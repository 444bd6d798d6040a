/**
 * One hashing thread (see hash-pool.ts): keeps a running hash per upload session and
 * hashes the ring slots it is told about, in order, acknowledging each so the slot can
 * be refilled. The algorithm is fixed per worker (workerData.algo).
 */
import { createHash, type Hash } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'
import type { ToWorker } from './hash-pool.js'

const algo = (workerData as { algo: string }).algo
const sessions = new Map<number, { hash: Hash; ring: Uint8Array }>()
const port = parentPort!

port.on('message', (m: ToWorker) => {
  switch (m.op) {
    case 'open':
      sessions.set(m.id, { hash: createHash(algo), ring: new Uint8Array(m.ring) })
      return
    case 'update': {
      const s = sessions.get(m.id)
      s?.hash.update(s.ring.subarray(m.offset, m.offset + m.length))
      port.postMessage({ op: 'done', id: m.id, slot: m.slot })
      return
    }
    case 'digest': {
      const s = sessions.get(m.id)
      sessions.delete(m.id)
      port.postMessage({ op: 'digest', id: m.id, hex: s ? s.hash.digest('hex') : '' })
      return
    }
    case 'abort':
      sessions.delete(m.id)
      return
  }
})
