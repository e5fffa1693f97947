// openid-client 6 (an OpenID-certified relying party, unmodified) against
// wxgate's OpenID provider: discovery, the authorization code flow with
// PKCE (a person logging in through WeChat's QR in the emulator), id_token
// validation, userinfo, refresh token rotation, introspection, revocation
// and RP-initiated logout. Run by ../../openidclient_test.go, which starts
// the emulator and the gateway and passes them in the environment:
//
//   WXGATE_ISSUER, WXGATE_EMULATOR, WXGATE_CLIENT_ID, WXGATE_CLIENT_SECRET,
//   WXGATE_PUBLIC_CLIENT_ID, WXGATE_REDIRECT_URI, WXGATE_POST_LOGOUT_URI,
//   WXGATE_PERSON (an emulator user id), WXGATE_FORBIDDEN (a JSON list of
//   values, such as the person's openid and the AppSecret, that no answer
//   may contain).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through go test ./interop (see openidclient_test.go)`);
  return v;
};
const issuer = new URL(env('WXGATE_ISSUER'));
const emulator = env('WXGATE_EMULATOR');
const redirectURI = env('WXGATE_REDIRECT_URI');
const postLogoutURI = env('WXGATE_POST_LOGOUT_URI');
const person = env('WXGATE_PERSON');
const forbidden = JSON.parse(env('WXGATE_FORBIDDEN'));
assert.ok(forbidden.length >= 2, 'WXGATE_FORBIDDEN lists the values to look for');

// Every answer wxgate gives the browser or the client, searched at the end.
const seen = [];
const insecure = { execute: [client.allowInsecureRequests] }; // the test stack is plain http on 127.0.0.1
const recordingFetch = async (url, init) => {
  const res = await fetch(url, init);
  if (new URL(url instanceof Request ? url.url : url).host !== issuer.host) return res;
  const body = await res.clone().text();
  seen.push(`${url}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${body}`);
  return res;
};

// A person's browser: a cookie jar per host, redirects followed one at a
// time so the test sees each hop.
class Browser {
  constructor() { this.jar = new Map(); }
  cookieHeader(url) {
    const jar = this.jar.get(url.host);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }
  store(url, res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const jar = this.jar.get(url.host) ?? new Map();
      const gone = value === '' || attrs.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a) || /^\s*expires\s*=\s*Thu, 01 Jan 1970/i.test(a));
      if (gone) jar.delete(name); else jar.set(name, value);
      this.jar.set(url.host, jar);
    }
  }
  async get(url) {
    url = new URL(url);
    const headers = {};
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    const res = await recordingFetch(url, { redirect: 'manual', headers });
    this.store(url, res);
    return res;
  }
  // walk follows redirects from url until stop(location) holds (that
  // location is returned, not fetched). On WeChat's QR page (the emulator
  // names its grant in X-Wxemu-Uuid) the person scans and confirms on the
  // phone, and the browser goes where WeChat sends it.
  async walk(url, stop, steps = []) {
    for (let hop = 0; hop < 15; hop++) {
      const res = await this.get(url);
      steps.push(`${res.status} ${new URL(url).pathname}`);
      if (res.status >= 300 && res.status < 400) {
        const next = new URL(res.headers.get('location'), url);
        if (stop(next)) return next;
        url = next;
        continue;
      }
      const uuid = res.headers.get('x-wxemu-uuid');
      if (res.status === 200 && uuid) {
        await phone('scan', uuid);
        const { redirect } = await phone('confirm', uuid);
        url = new URL(redirect);
        continue;
      }
      throw new Error(`the browser stopped on ${url} (${res.status}) after ${steps.join(' -> ')}: ${(await res.text()).slice(0, 300)}`);
    }
    throw new Error(`too many redirects: ${steps.join(' -> ')}`);
  }
}

async function phone(action, uuid) {
  const res = await recordingFetch(`${emulator}/_emulator/grants/${uuid}/${action}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_id: person }),
  });
  assert.equal(res.status, 200, `the phone's ${action}: ${res.status}`);
  return res.json();
}

const backToClient = (u) => u.href.startsWith(redirectURI + '?') || u.href === redirectURI;

// Logs in through config in browser: the redirect back, with its checks.
async function login(config, browser, extra = {}) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectURI,
    scope: 'openid profile offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state, nonce, ...extra,
  });
  const steps = [];
  const back = await browser.walk(url, backToClient, steps);
  return { back, checks: { pkceCodeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }, steps };
}

async function discover(id, auth) {
  return client.discovery(issuer, id, undefined, auth, { ...insecure, [client.customFetch]: recordingFetch });
}

const gateway = new URL('/', issuer);

test('a confidential client: discovery, PKCE login, userinfo, refresh, introspection, revocation, logout', async (t) => {
  const config = await discover(env('WXGATE_CLIENT_ID'), client.ClientSecretBasic(env('WXGATE_CLIENT_SECRET')));
  const meta = config.serverMetadata();
  const browser = new Browser();
  let tokens, sub;

  await t.test('discovery names wxgate as issuer, S256 PKCE and the endpoints', () => {
    assert.equal(meta.issuer, issuer.href.replace(/\/$/, ''));
    assert.ok(meta.code_challenge_methods_supported?.includes('S256'), 'S256 advertised');
    for (const ep of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri',
      'revocation_endpoint', 'introspection_endpoint', 'end_session_endpoint']) {
      assert.ok(meta[ep], `${ep} advertised`);
    }
  });

  await t.test('a person logs in with WeChat and the client gets verified tokens', async () => {
    const { back, checks, steps } = await login(config, browser);
    assert.ok(steps.some((s) => s.includes('/connect/qrconnect')), `the login went through WeChat's QR page: ${steps.join(' -> ')}`);
    tokens = await client.authorizationCodeGrant(config, back, checks);
    assert.ok(tokens.access_token, 'access token');
    assert.ok(tokens.refresh_token, 'refresh token (offline_access)');
    const claims = tokens.claims(); // signature, iss, aud, exp, nonce checked by openid-client
    assert.ok(claims, 'an id_token');
    sub = claims.sub;
    // sub is the person's wxgate user id, as the gateway's own API says.
    const me = await browser.get(new URL('/auth/me', gateway));
    assert.equal(me.status, 200, 'the browser holds a wxgate session');
    const { user } = await me.json();
    assert.equal(sub, user.id, 'sub is the wxgate user id');
    assert.ok(claims.auth_time, 'auth_time');
    assert.ok(Array.isArray(claims.amr) && claims.amr.some((m) => /wechat/.test(m)), `amr names the WeChat method: ${JSON.stringify(claims.amr)}`);
  });

  await t.test('userinfo answers for the same subject', async () => {
    const info = await client.fetchUserInfo(config, tokens.access_token, sub);
    assert.equal(info.sub, sub);
    assert.ok(info.name, 'the profile scope gives a name');
  });

  await t.test('single sign-on: a second authorization completes without WeChat', async () => {
    const { back, checks, steps } = await login(config, browser);
    assert.ok(!steps.some((s) => s.includes('/connect/')), `no WeChat page the second time: ${steps.join(' -> ')}`);
    const again = await client.authorizationCodeGrant(config, back, checks);
    assert.equal(again.claims().sub, sub);
  });

  let refreshed;
  await t.test('the refresh token rotates, and the old one is refused', async () => {
    refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(refreshed.access_token && refreshed.access_token !== tokens.access_token, 'a new access token');
    assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, 'a new refresh token');
    if (refreshed.id_token) assert.equal(refreshed.claims().sub, sub);
    await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token),
      (err) => err.error === 'invalid_grant', 'reusing the old refresh token fails with invalid_grant');
  });

  await t.test('introspection says the access token is active, for this client and subject', async () => {
    // The reuse above revoked the whole family (the rotation's rule), so
    // log in once more for a live token.
    const { back, checks } = await login(config, browser);
    refreshed = await client.authorizationCodeGrant(config, back, checks);
    const info = await client.tokenIntrospection(config, refreshed.access_token);
    assert.equal(info.active, true);
    assert.equal(info.sub, sub);
    assert.equal(info.client_id, env('WXGATE_CLIENT_ID'));
  });

  await t.test('revocation ends the access token', async () => {
    await client.tokenRevocation(config, refreshed.access_token);
    const info = await client.tokenIntrospection(config, refreshed.access_token);
    assert.equal(info.active, false);
    await assert.rejects(client.fetchUserInfo(config, refreshed.access_token, sub), 'userinfo refuses a revoked token');
  });

  await t.test('RP-initiated logout ends the wxgate session and returns to the client', async () => {
    const state = client.randomState();
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token, post_logout_redirect_uri: postLogoutURI, state,
    });
    const back = await browser.walk(url, (u) => u.href.startsWith(postLogoutURI));
    assert.equal(back.searchParams.get('state'), state, 'state returned to the client');
    const me = await browser.get(new URL('/auth/me', gateway));
    assert.equal(me.status, 401, 'no wxgate session after logout');
    // prompt=none now answers login_required, at the client's redirect_uri.
    const { back: none } = await loginNone(config, browser);
    assert.equal(none.searchParams.get('error'), 'login_required');
  });

  await t.test('an unregistered post_logout_redirect_uri is never followed', async () => {
    const url = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://evil.example/' });
    const res = await browser.get(url);
    const loc = res.headers.get('location') ?? '';
    assert.ok(!loc.includes('evil.example'), `no redirect to an unregistered URI (status ${res.status}, location ${loc})`);
  });
});

async function loginNone(config, browser) {
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectURI, scope: 'openid', prompt: 'none', state: client.randomState(),
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });
  return { back: await browser.walk(url, backToClient) };
}

test('a public client: PKCE without a secret', async () => {
  const config = await discover(env('WXGATE_PUBLIC_CLIENT_ID'), client.None());
  const { back, checks } = await login(config, new Browser());
  const tokens = await client.authorizationCodeGrant(config, back, checks);
  assert.ok(tokens.claims().sub, 'a verified id_token');
  const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub);
  assert.equal(info.sub, tokens.claims().sub);
});

test('no answer carries an openid, a unionid or a secret', () => {
  assert.ok(seen.length > 10, `answers recorded: ${seen.length}`);
  for (const answer of seen) {
    for (const value of forbidden) {
      assert.ok(!answer.includes(value), `an answer contains a forbidden value (${value.slice(0, 4)}…):\n${answer.slice(0, 500)}`);
    }
  }
});
