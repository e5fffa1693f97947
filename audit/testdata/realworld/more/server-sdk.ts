/*
 * Server-side helper. The client calls:
 *   wx.login({ success: ({ code }) => wx.request({ url: '/api/login', data: { code } }) })
 */
import axios from 'axios';

export async function stableToken(appid: string, secret: string): Promise<string> {
  const { data } = await axios.post('https://api.weixin.qq.com/cgi-bin/stable_token', { grant_type: 'client_credential', appid, secret });
  return data.access_token;
}
