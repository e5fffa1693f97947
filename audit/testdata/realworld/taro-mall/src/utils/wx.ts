import Taro from '@tarojs/taro';

const APPID = 'wxee9cf451db985dd0';

export async function getAccessToken(secretFromServer: string): Promise<string> {
  const res = await Taro.request({
    url: `https://api.weixin.qq.com/cgi-bin/stable_token`,
    method: 'POST',
    data: { grant_type: 'client_credential', appid: APPID, secret: secretFromServer },
  });
  return res.data.access_token;
}

export const isDev = process.env.NODE_ENV !== 'production';
