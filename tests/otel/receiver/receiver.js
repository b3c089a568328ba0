'use strict';
// A test-only OTLP/HTTP receiver for httptrace's tests. It decodes every POSTed body with the
// OpenTelemetry protocol definitions shipped by @opentelemetry/otlp-transformer (protobufjs code
// generated from opentelemetry-proto) and rejects, with 400, anything that is not valid
// OTLP/JSON: unknown or misspelt fields, enums as names, ids that are not lowercase hex of the
// right length, values of the wrong type. What it accepted is kept for the test to read back.
//
//   node receiver.js [NODE_MODULES]   prints {"port": N} once listening on 127.0.0.1 (port 0);
//                                     the packages come from NODE_MODULES when given
//
//   POST <any path>           an ExportTraceServiceRequest (application/json)
//   GET  /_test/spans         {"spans": [...]}: every accepted span, flattened (below)
//   GET  /_test/posts         [{path, headers, status, atMs, spans, error}]: every export POST
//   POST /_test/respond       {"statuses": [503, 429], "retryAfter": "1"}: the next POSTs get
//                             these answers (spans not accepted), with Retry-After when given
//   POST /_test/reset         forget everything

const http = require('node:http');
const path = require('node:path');

const definitions = '@opentelemetry/otlp-transformer/build/src/generated/root.js';
const root = require(process.argv[2] ? path.join(process.argv[2], definitions) : definitions);

const ExportTraceServiceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const ExportTraceServiceResponse = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

const state = { spans: [], posts: [], respond: [], retryAfter: null };
const started = process.hrtime.bigint();

class Malformed extends Error {}

// OTLP/JSON writes trace and span ids as lowercase hex (OTLP spec, "JSON Protobuf Encoding"),
// where the plain protobuf JSON mapping would use base64.
function idBytes(value, bytes, path, optional) {
  if (optional && (value === undefined || value === '')) return undefined;
  const pattern = new RegExp(`^[0-9a-f]{${2 * bytes}}$`);
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new Malformed(`${path}: ${JSON.stringify(value)} is not ${2 * bytes} lowercase hex digits`);
  }
  if (/^0+$/.test(value)) throw new Malformed(`${path}: all-zero id`);
  return Buffer.from(value, 'hex');
}

// The list under `key`, or none; a non-list is left for fromObject to reject.
const listOf = (object, key) => (object && Array.isArray(object[key]) ? object[key] : []);

function eachSpan(body, visit) {
  for (const [r, rs] of listOf(body, 'resourceSpans').entries()) {
    for (const [s, ss] of listOf(rs, 'scopeSpans').entries()) {
      for (const [i, span] of listOf(ss, 'spans').entries()) {
        if (span === null || typeof span !== 'object') continue;
        visit(span, `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`);
      }
    }
  }
}

// The body with ids as bytes: the form protobufjs's fromObject takes.
function withIdBytes(body) {
  const copy = JSON.parse(JSON.stringify(body));
  eachSpan(copy, (span, path) => {
    span.traceId = idBytes(span.traceId, 16, `${path}.traceId`, false);
    span.spanId = idBytes(span.spanId, 8, `${path}.spanId`, false);
    const parent = idBytes(span.parentSpanId, 8, `${path}.parentSpanId`, true);
    if (parent === undefined) delete span.parentSpanId; else span.parentSpanId = parent;
    for (const [l, link] of listOf(span, 'links').entries()) {
      link.traceId = idBytes(link.traceId, 16, `${path}.links[${l}].traceId`, false);
      link.spanId = idBytes(link.spanId, 8, `${path}.links[${l}].spanId`, false);
    }
  });
  return copy;
}

// Whether what the definitions made of `input` says the same thing: every input field must come
// back (an unknown name would not), with the same value. A 64-bit integer may be a JSON number
// or a decimal string; an enum must be its integer (OTLP/JSON forbids enum names).
function sameAs(input, decoded, path) {
  if (Buffer.isBuffer(input)) {
    if (decoded !== input.toString('base64')) throw new Malformed(`${path}: bytes differ`);
    return;
  }
  if (Array.isArray(input)) {
    if (!Array.isArray(decoded) || decoded.length !== input.length) {
      throw new Malformed(`${path}: not a list of ${input.length}`);
    }
    input.forEach((item, i) => sameAs(item, decoded[i], `${path}[${i}]`));
    return;
  }
  if (input !== null && typeof input === 'object') {
    if (decoded === null || typeof decoded !== 'object') throw new Malformed(`${path}: not a message`);
    for (const key of Object.keys(input)) {
      // An empty list is the same as no list (the protobuf JSON mapping).
      if (Array.isArray(input[key]) && input[key].length === 0 && !(key in decoded)) continue;
      if (!(key in decoded)) throw new Malformed(`${path}.${key}: not a field of this message`);
      sameAs(input[key], decoded[key], `${path}.${key}`);
    }
    return;
  }
  if (input === decoded) return;
  if (typeof input === 'number' && typeof decoded === 'string' && String(input) === decoded) return;
  throw new Malformed(`${path}: ${JSON.stringify(input)} decodes as ${JSON.stringify(decoded)}`);
}

const toObjectOptions = { longs: String, enums: Number, bytes: String, defaults: false };

// The request as the definitions decode it, after a protobuf binary round trip.
function decode(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new Malformed(`not JSON: ${e.message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new Malformed('not a JSON object');
  }
  const input = withIdBytes(body);
  let message;
  try {
    message = ExportTraceServiceRequest.fromObject(input);
  } catch (e) {
    throw new Malformed(e.message);
  }
  const problem = ExportTraceServiceRequest.verify(message);
  if (problem) throw new Malformed(problem);
  sameAs(input, ExportTraceServiceRequest.toObject(message, toObjectOptions), '$');
  const binary = ExportTraceServiceRequest.encode(message).finish();
  return ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(binary), toObjectOptions);
}

const hex = (base64) => (base64 ? Buffer.from(base64, 'base64').toString('hex') : '');

function attributeMap(list) {
  const out = {};
  for (const kv of list || []) out[kv.key] = kv.value || {};
  return out;
}

// One flat object per span, ids back in hex, attributes keyed by name (values as AnyValue).
function flatten(decoded) {
  const spans = [];
  for (const rs of decoded.resourceSpans || []) {
    const resource = attributeMap(rs.resource && rs.resource.attributes);
    for (const ss of rs.scopeSpans || []) {
      for (const span of ss.spans || []) {
        const start = BigInt(span.startTimeUnixNano || '0');
        const end = BigInt(span.endTimeUnixNano || '0');
        if (!span.name) throw new Malformed('a span without a name');
        if (end < start) throw new Malformed(`span ${span.name}: ends before it starts`);
        spans.push({
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          traceState: span.traceState || '',
          flags: span.flags || 0,
          name: span.name,
          kind: span.kind || 0,
          startTimeUnixNano: start.toString(),
          endTimeUnixNano: end.toString(),
          attributes: attributeMap(span.attributes),
          status: { code: (span.status && span.status.code) || 0, message: (span.status && span.status.message) || '' },
          resource,
          scope: ss.scope || {},
        });
      }
    }
  }
  return spans;
}

function reply(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function onExport(req, res, text) {
  const post = {
    path: req.url,
    headers: req.headers,
    atMs: Number(process.hrtime.bigint() - started) / 1e6,
    status: 200,
    spans: 0,
    error: '',
  };
  state.posts.push(post);
  if (state.respond.length > 0) {
    post.status = state.respond.shift();
    const headers = state.retryAfter !== null ? { 'Retry-After': state.retryAfter } : {};
    reply(res, post.status, { code: 14, message: `told to answer ${post.status}` }, headers);
    return;
  }
  try {
    if (!/^application\/json\b/.test(req.headers['content-type'] || '')) {
      throw new Malformed(`Content-Type ${req.headers['content-type']} is not application/json`);
    }
    let spans;
    try {
      spans = flatten(decode(text));
    } catch (e) {
      // Anything the definitions refuse (a TypeError from fromObject, say) is malformed input.
      throw e instanceof Malformed ? e : new Malformed(e.message);
    }
    state.spans.push(...spans);
    post.spans = spans.length;
    // An empty ExportTraceServiceResponse: full success (OTLP "Full Success").
    reply(res, 200, ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.create({})));
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    post.status = 400;
    post.error = e.message;
    reply(res, 400, { code: 3, message: e.message });
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    if (req.method === 'GET' && req.url === '/_test/spans') return reply(res, 200, { spans: state.spans });
    if (req.method === 'GET' && req.url === '/_test/posts') return reply(res, 200, state.posts);
    if (req.method === 'POST' && req.url === '/_test/respond') {
      const order = JSON.parse(text);
      state.respond.push(...order.statuses);
      state.retryAfter = order.retryAfter === undefined ? null : String(order.retryAfter);
      return reply(res, 200, {});
    }
    if (req.method === 'POST' && req.url === '/_test/reset') {
      Object.assign(state, { spans: [], posts: [], respond: [], retryAfter: null });
      return reply(res, 200, {});
    }
    if (req.method === 'POST') return onExport(req, res, text);
    return reply(res, 405, { message: 'POST an ExportTraceServiceRequest' });
  });
});

server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// A test process that dies without stopping us (a crash) must not leave us running.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500).unref();
