import CryptoJS from 'crypto-js';

interface PhoneEvent {
  detail: { encryptedData: string; iv: string };
}

Page({
  getPhoneNumber(e: PhoneEvent) {
    const key = CryptoJS.enc.Base64.parse(getApp().globalData.sk);
    const iv = CryptoJS.enc.Base64.parse(e.detail.iv);
    const plain = CryptoJS.AES.decrypt(e.detail.encryptedData, key, { iv, mode: CryptoJS.mode.CBC, padding: CryptoJS.pad.Pkcs7 });
    this.setData({ phone: JSON.parse(plain.toString(CryptoJS.enc.Utf8)).phoneNumber });
  },
});
