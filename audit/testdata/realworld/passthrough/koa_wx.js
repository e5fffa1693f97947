const Router = require('@koa/router');
const got = require('got');

const router = new Router();

async function code2session(code) {
  const url = 'https://api.weixin.qq.com/sns/jscode2session';
  return got(url, {
    searchParams: { appid: process.env.WX_APPID, secret: process.env.WX_SECRET, js_code: code, grant_type: 'authorization_code' },
  }).json();
}

router.post('/api/session', async (ctx) => {
  const session = await code2session(ctx.request.body.code);
  ctx.cookies.set('sk', session.session_key, { httpOnly: false });
  ctx.body = { openid: session.openid };
});

router.post('/api/login', async (ctx) => {
  const info = await code2session(ctx.request.body.code);
  ctx.body = info;
});

router.post('/api/login/safe', async (ctx) => {
  const info = await code2session(ctx.request.body.code);
  ctx.session.sessionKey = info.session_key;
  ctx.body = { openid: info.openid };
});

router.get('/api/profile', async (ctx) => {
  const info = await ctx.state.user.profile();
  ctx.body = info;
});

module.exports = router;
