// The shop server's mini-program routes (a backend folder that happens to be
// called "miniprogram"; the mini-program itself lives in another repository).
const axios = require('axios');

exports.register = (app, cfg) => {
  app.post('/mp/login', async (req, res) => {
    const url = `https://api.weixin.qq.com/sns/jscode2session?appid=${cfg.appid}&secret=${cfg.secret}&js_code=${req.body.code}&grant_type=authorization_code`;
    const r = await axios.get(url);
    res.json(r.data);
  });
};
