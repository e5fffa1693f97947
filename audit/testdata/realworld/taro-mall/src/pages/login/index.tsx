import { View, Button } from '@tarojs/components';
import Taro from '@tarojs/taro';
import CryptoJS from 'crypto-js';
import { useState } from 'react';

export default function Login() {
  const [nick, setNick] = useState('');
  const onUserInfo = async (e) => {
    const sk: string = Taro.getStorageSync('sk');
    const bytes = CryptoJS.AES.decrypt(
      CryptoJS.lib.CipherParams.create({ ciphertext: CryptoJS.enc.Base64.parse(e.detail.encryptedData) }),
      CryptoJS.enc.Base64.parse(sk),
      { iv: CryptoJS.enc.Base64.parse(e.detail.iv), mode: CryptoJS.mode.CBC },
    );
    setNick(JSON.parse(bytes.toString(CryptoJS.enc.Utf8)).nickName);
  };
  const showMenu = () => Taro.request({ url: 'https://api.weixin.qq.com/cgi-bin/get_current_selfmenu_info' });
  return (
    <View>
      <Button openType="getUserInfo" onGetUserInfo={onUserInfo}>{nick || '登录'}</Button>
      <Button onClick={showMenu}>菜单</Button>
    </View>
  );
}
