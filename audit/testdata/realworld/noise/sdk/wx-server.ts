// Server helper. Usage from the mini-program: wx.request({ url: '/api/login', data: { code } }).
// Page({ onLoad() { wx.login(...) } }) is the client part; this file is not.
import { createHash } from 'crypto';

export interface SessionInfo {
  openid: string;
  session_key: string;
  unionid?: string;
}

export function rawDataSignature(rawData: string, sessionKey: string): string {
  return createHash('sha1').update(rawData + sessionKey).digest('hex');
}

export function checkSessionKey(info: SessionInfo): boolean {
  return typeof info.session_key === 'string' && info.session_key.length === 24;
}
