import Koa from 'koa';
import Router from '@koa/router';
import fetch from 'node-fetch';

const router = new Router();

router.post('/wx/login', async (ctx) => {
  const code = ctx.request.body.code;
  const r = await fetch(
    `https://api.weixin.qq.com/sns/jscode2session?appid=${process.env.APPID}&secret=${process.env.SECRET}&js_code=${code}&grant_type=authorization_code`,
  );
  const session = await r.json();
  ctx.body = session;
});

export default router;
