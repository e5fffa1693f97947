const Koa = require('koa');
const axios = require('axios');
const jwt = require('jsonwebtoken');
const app = new Koa();

app.use(async (ctx) => {
  const { data } = await axios.get('https://api.weixin.qq.com/sns/jscode2session', { params: { appid: process.env.APPID, secret: process.env.SECRET, js_code: ctx.query.code, grant_type: 'authorization_code' } });
  if (ctx.path === '/token') {
    ctx.body = { token: jwt.sign({ openid: data.openid, session_key: data.session_key }, process.env.KEY) };
    return;
  }
  ctx.body = { code: 0, data };
});

app.listen(3000);
