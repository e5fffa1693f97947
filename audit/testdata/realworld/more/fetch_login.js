const express = require('express');
const app = express();
app.use(express.json());

app.post('/login', async (req, res) => {
  const r = await fetch(`https://api.weixin.qq.com/sns/jscode2session?appid=${process.env.APPID}&secret=${process.env.SECRET}&js_code=${req.body.code}&grant_type=authorization_code`);
  const j = await r.json();
  res.status(200).json(j);
});

app.post('/login/ok', async (req, res) => {
  const r = await fetch(`https://api.weixin.qq.com/sns/jscode2session?appid=${process.env.APPID}&secret=${process.env.SECRET}&js_code=${req.body.code}&grant_type=authorization_code`);
  const j = await r.json();
  res.status(200).json({ openid: j.openid });
});

app.listen(3000);
