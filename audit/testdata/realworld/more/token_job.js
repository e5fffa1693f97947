// cron job: refresh the official account's token every hour
const axios = require('axios');
const { appid, secret } = require('./wechat.json');

async function refresh() {
  console.log('refreshing with', { appid, secret });
  const url = `https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=${appid}&secret=${secret}`;
  const res = await axios.get(url);
  console.log('refreshed:', url.replace(/secret=[^&]+/, 'secret=***'), res.data.expires_in);
  return res.data.access_token;
}

module.exports = refresh;
