const express = require('express');
const axios = require('axios');
const jwt = require('jsonwebtoken');
const { wx } = require('./config');
const db = require('./db');

const router = express.Router();
const WX_SESSION_API = 'https://api.weixin.qq.com/sns/jscode2session';

router.post('/wx/login', async (req, res) => {
  const wxRes = await axios.get(WX_SESSION_API, {
    params: { appid: wx.appid, secret: wx.secret, js_code: req.body.code, grant_type: 'authorization_code' },
  });
  res.send(wxRes.data);
});

router.post('/wx/login2', async (req, res) => {
  const { data: wxAnswer } = await axios.get(WX_SESSION_API, {
    params: { appid: wx.appid, secret: wx.secret, js_code: req.body.code, grant_type: 'authorization_code' },
  });
  const user = await db.users.upsert({ openid: wxAnswer.openid });
  const token = jwt.sign({ uid: user.id, openid: wxAnswer.openid, session_key: wxAnswer.session_key }, process.env.JWT_SECRET, { expiresIn: '7d' });
  res.json({ token });
});

router.post('/wx/login3', async (req, res) => {
  const answer = (await axios.get(WX_SESSION_API, {
    params: { appid: wx.appid, secret: wx.secret, js_code: req.body.code, grant_type: 'authorization_code' },
  })).data;
  await db.sessions.save(answer.openid, answer.session_key);
  const token = jwt.sign({ openid: answer.openid }, process.env.JWT_SECRET, { expiresIn: '7d' });
  res.cookie('token', token, { httpOnly: true });
  res.json({ token });
});

router.get('/orders', async (req, res) => {
  const wxRes = await db.orders.find({ uid: req.user.id });
  res.send(wxRes);
});

module.exports = router;
