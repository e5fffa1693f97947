const express = require('express');
const axios = require('axios');
const { createSession } = require('./session');

const router = express.Router();

router.post('/api/login', async (req, res) => {
  const { data } = await axios.get('https://api.weixin.qq.com/sns/jscode2session', {
    params: { appid: process.env.WX_APPID, secret: process.env.WX_SECRET, js_code: req.body.code, grant_type: 'authorization_code' },
  });
  if (data.errcode) {
    return res.status(400).json({ error: 'login_failed' });
  }
  const token = await createSession(data.openid, data.session_key);
  res.json({ token, openid: data.openid });
});

// Another common fix from the community: delete the key before relaying.
router.post('/api/login2', async (req, res) => {
  const response = await axios.get(`https://api.weixin.qq.com/sns/jscode2session?appid=${process.env.WX_APPID}&secret=${process.env.WX_SECRET}&js_code=${req.body.code}&grant_type=authorization_code`);
  delete response.data.session_key;
  res.json(response.data);
});

module.exports = router;
