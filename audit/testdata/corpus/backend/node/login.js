const express = require('express');
const axios = require('axios');

const router = express.Router();
const APPID = process.env.WX_APPID;
const SECRET = process.env.WX_SECRET;

router.post('/api/login', async (req, res) => {
  const { code } = req.body;
  const url = `https://api.weixin.qq.com/sns/jscode2session?appid=${APPID}&secret=${SECRET}&js_code=${code}&grant_type=authorization_code`;
  const result = await axios.get(url);
  res.json(result.data);
});

module.exports = router;
