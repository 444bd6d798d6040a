// A static file server on 127.0.0.1 for conformance runs (tempest's [image] http_image):
// GET and HEAD of the files directly in DIR, with single byte ranges.
//   node scripts/conformance/static-http.mjs DIR PORT
import { createReadStream, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { basename, join } from 'node:path'

const [dir, port] = process.argv.slice(2)
createServer((req, res) => {
  const name = basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))
  let size
  try {
    size = statSync(join(dir, name)).size
  } catch {
    res.writeHead(404).end()
    return
  }
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
  const start = m ? Number(m[1]) : 0
  const end = m?.[2] ? Math.min(Number(m[2]), size - 1) : size - 1
  res.writeHead(m ? 206 : 200, {
    'content-length': end - start + 1,
    'content-type': 'application/octet-stream',
    ...(m ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
  })
  if (req.method === 'HEAD') res.end()
  else createReadStream(join(dir, name), { start, end }).pipe(res)
}).listen(Number(port), '127.0.0.1')
