// stepwise's runtime client for nodejs functions: it speaks the Lambda Runtime API
// (AWS_LAMBDA_RUNTIME_API), loads the handler "file.export" from LAMBDA_TASK_ROOT and
// calls it with (event, context[, callback]) for every invocation, reporting results and
// errors in the shapes Lambda's own Node.js runtime gives them.
'use strict';

const http = require('http');
const path = require('path');
const fs = require('fs');
const util = require('util');
const url = require('url');

const API_PREFIX = '/2018-06-01/runtime';
// A line the server waits for before it closes an invocation's log (see bootstrap.py).
const FLUSH_MARK = '\x1estepwise-flush ';

const [apiHost, apiPort] = (() => {
  const a = process.env.AWS_LAMBDA_RUNTIME_API || '';
  const i = a.lastIndexOf(':');
  return [a.slice(0, i), Number(a.slice(i + 1))];
})();
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: apiHost, port: apiPort, method, path: API_PREFIX + p, agent, headers: headers || {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

let currentRequestId;

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [name, level] of Object.entries(levels)) {
    console[name] = (...args) => {
      const msg = util.format(...args);
      const line = `${new Date().toISOString()}\t${currentRequestId || 'undefined'}\t${level}\t${msg}\n`;
      (level === 'ERROR' || level === 'WARN' ? process.stderr : process.stdout).write(line);
    };
  }
}

function errorOf(e) {
  if (e instanceof Error) {
    const trace = typeof e.stack === 'string' ? e.stack.split('\n') : [];
    return { errorType: e.name || (e.constructor && e.constructor.name) || 'Error', errorMessage: e.message, trace };
  }
  let msg;
  try { msg = typeof e === 'string' ? e : JSON.stringify(e); } catch (_) { msg = String(e); }
  return { errorType: typeof e === 'string' ? 'string' : typeof e, errorMessage: msg, trace: [] };
}

class InitError extends Error {
  constructor(type, message) { super(message); this.name = type; }
}

async function loadHandler(spec, taskRoot) {
  const dot = spec.lastIndexOf('.');
  if (dot <= 0) throw new InitError('Runtime.MalformedHandlerName', `Bad handler ${spec}`);
  const modPath = spec.slice(0, dot);
  const names = spec.slice(dot + 1).split('.');
  const base = path.resolve(taskRoot, modPath);
  let mod;
  const candidates = [base + '.js', base + '.mjs', base + '.cjs'];
  const file = candidates.find((f) => fs.existsSync(f));
  try {
    if (file && file.endsWith('.mjs')) {
      mod = await import(url.pathToFileURL(file).href);
    } else if (file) {
      try {
        mod = require(file);
      } catch (e) {
        if (e && e.code === 'ERR_REQUIRE_ESM') mod = await import(url.pathToFileURL(file).href);
        else throw e;
      }
    } else {
      mod = require(base);
    }
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && !file) {
      throw new InitError('Runtime.ImportModuleError', `Error: Cannot find module '${modPath}'\nRequire stack:\n- ${__filename}`);
    }
    if (e instanceof SyntaxError) throw new InitError('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`);
    throw e;
  }
  let fn = mod;
  for (const n of names) fn = fn == null ? undefined : fn[n];
  if (fn === undefined && mod && mod.default) {
    fn = mod.default;
    for (const n of names) fn = fn == null ? undefined : fn[n];
  }
  if (fn === undefined) throw new InitError('Runtime.HandlerNotFound', `${spec} is undefined or not exported`);
  if (typeof fn !== 'function') throw new InitError('Runtime.HandlerNotFound', `${spec} is not a function`);
  return fn;
}

function flush(requestId) {
  const mark = FLUSH_MARK + requestId + '\n';
  try { fs.writeSync(1, mark); } catch (_) { /* closed */ }
  try { fs.writeSync(2, mark); } catch (_) { /* closed */ }
}

function runHandler(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err); else resolve(result);
    };
    const callback = (err, result) => done(err, result);
    context.done = callback;
    context.succeed = (r) => done(null, r);
    context.fail = (e) => done(e === undefined || e === null ? new Error('handled') : e);
    try {
      const r = handler(event, context, callback);
      if (r && typeof r.then === 'function') r.then((v) => done(null, v), (e) => done(e === undefined || e === null ? new Error(String(e)) : e));
      else if (handler.length < 3) done(null, r);
    } catch (e) {
      done(e);
    }
  });
}

async function main() {
  patchConsole();
  const taskRoot = process.env.LAMBDA_TASK_ROOT || '/var/task';
  try { process.chdir(taskRoot); } catch (_) { /* keep the cwd */ }
  let handler;
  try {
    handler = await loadHandler(process.env._HANDLER || '', taskRoot);
  } catch (e) {
    const err = errorOf(e);
    console.error(`${err.errorType}: ${err.errorMessage}`);
    await call('POST', '/init/error', JSON.stringify(err), { 'Lambda-Runtime-Function-Error-Type': err.errorType });
    process.exit(1);
  }
  process.on('uncaughtException', (e) => {
    const err = errorOf(e);
    console.error(`Uncaught Exception \t${JSON.stringify(err)}`);
    const id = currentRequestId;
    const post = id ? call('POST', `/invocation/${id}/error`, JSON.stringify(err), { 'Lambda-Runtime-Function-Error-Type': 'Runtime.UnhandledPromiseRejection' }) : Promise.resolve();
    post.finally(() => process.exit(129));
  });
  for (;;) {
    const next = await call('GET', '/invocation/next');
    if (next.status !== 200) throw new Error(`runtime API /next answered ${next.status}`);
    const h = next.headers;
    const requestId = h['lambda-runtime-aws-request-id'];
    currentRequestId = requestId;
    const deadline = Number(h['lambda-runtime-deadline-ms'] || 0);
    if (h['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
    else delete process.env._X_AMZN_TRACE_ID;
    let clientContext;
    if (h['lambda-runtime-client-context']) {
      try { clientContext = JSON.parse(h['lambda-runtime-client-context']); } catch (_) { clientContext = undefined; }
    }
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      awsRequestId: requestId,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext,
      identity: undefined,
      getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    };
    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString('utf8')) : {};
    } catch (e) {
      const err = { errorType: 'Runtime.UnmarshalError', errorMessage: `Unable to parse the event: ${e.message}`, trace: [] };
      flush(requestId);
      await call('POST', `/invocation/${requestId}/error`, JSON.stringify(err), { 'Lambda-Runtime-Function-Error-Type': err.errorType });
      continue;
    }
    let out;
    try {
      const result = await runHandler(handler, event, context);
      out = JSON.stringify(result === undefined ? null : result);
    } catch (e) {
      const err = errorOf(e);
      console.error(`Invoke Error \t${JSON.stringify(err)}`);
      flush(requestId);
      await call('POST', `/invocation/${requestId}/error`, JSON.stringify(err), { 'Lambda-Runtime-Function-Error-Type': err.errorType });
      continue;
    }
    flush(requestId);
    await call('POST', `/invocation/${requestId}/response`, out, { 'Content-Type': 'application/json' });
  }
}

main().catch((e) => {
  process.stderr.write(`stepwise runtime client: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
