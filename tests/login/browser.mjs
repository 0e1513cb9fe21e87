// A scripted browser for credd's login tests: follows redirects with a cookie jar and
// fills in and submits the provider's real pages (oidc-provider's device code page, its
// devInteractions login and consent forms), as a user would.
//
// usage: node browser.mjs URL [--user-code CODE] [--deny] [--login NAME]
// Prints one JSON line: {"url": last URL fetched, "status": its status, "body": its text
// (first 2000 characters), "steps": how many requests}.
//
// --deny: refuse instead of approving (the device confirm page's "abort" button; the
// login page's cancel link for an authorization request).
const args = process.argv.slice(2);
let url = args[0];
const opt = (name) => {
  const i = args.indexOf(name);
  return i > 0 ? args[i + 1] : undefined;
};
const userCode = opt('--user-code');
const deny = args.includes('--deny');
const user = opt('--login') || 'alice';

const jar = new Map(); // host -> Map(name -> value)

function cookieHeader(u) {
  const c = jar.get(new URL(u).host);
  return c ? [...c].map(([k, v]) => `${k}=${v}`).join('; ') : '';
}

function keepCookies(u, res) {
  const host = new URL(u).host;
  const set = res.headers.getSetCookie ? res.headers.getSetCookie() : [];
  for (const line of set) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (!jar.has(host)) jar.set(host, new Map());
    jar.get(host).set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
}

const decode = (s) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x2F;/g, '/')
  .replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

function attr(tag, name) {
  const m = tag.match(new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i'));
  return m ? decode(m[2] ?? m[3] ?? m[4] ?? '') : undefined;
}

// The first form on the page: action, method and its fields (inputs inside it, and
// inputs elsewhere that name it with form="id").
function firstForm(html) {
  const m = html.match(/<form\b[^>]*>([\s\S]*?)<\/form>/i);
  if (!m) return null;
  const tag = m[0].match(/<form\b[^>]*>/i)[0];
  const id = attr(tag, 'id');
  const fields = {};
  const inputs = [...m[1].matchAll(/<input\b[^>]*>/gi)].map((x) => x[0]);
  if (id) {
    for (const x of html.matchAll(/<input\b[^>]*>/gi)) {
      if (attr(x[0], 'form') === id) inputs.push(x[0]);
    }
  }
  for (const input of inputs) {
    const name = attr(input, 'name');
    if (name) fields[name] = attr(input, 'value') ?? '';
  }
  return { action: attr(tag, 'action'), method: (attr(tag, 'method') || 'get').toLowerCase(), fields };
}

async function main() {
  let method = 'GET';
  let body;
  let steps = 0;
  let last = { url, status: 0, body: '' };
  while (steps < 30) {
    steps += 1;
    const headers = { cookie: cookieHeader(url) };
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method, body, headers, redirect: 'manual' });
    keepCookies(url, res);
    const text = await res.text();
    last = { url, status: res.status, body: text.slice(0, 2000) };
    method = 'GET';
    body = undefined;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).toString();
      continue;
    }
    if (deny) {
      const cancel = text.match(/href="([^"]*\/abort)"/);
      if (cancel) {
        url = new URL(decode(cancel[1]), url).toString();
        continue;
      }
    }
    const form = firstForm(text);
    if (!form || res.status >= 400) break;
    const fields = form.fields;
    if ('user_code' in fields && !fields.user_code && userCode) fields.user_code = userCode;
    if ('login' in fields) fields.login = user;
    if ('password' in fields) fields.password = 'any-password';
    if (deny && /deviceConfirmForm/.test(text)) fields.abort = 'yes';
    const target = new URL(form.action || url, url).toString();
    const encoded = new URLSearchParams(fields).toString();
    if (form.method === 'post') {
      method = 'POST';
      body = encoded;
      url = target;
    } else {
      url = `${target.split('?')[0]}?${encoded}`;
    }
  }
  last.steps = steps;
  process.stdout.write(`${JSON.stringify(last)}\n`);
}

main().catch((e) => {
  process.stdout.write(`${JSON.stringify({ url, status: 0, body: String(e), steps: -1 })}\n`);
});
