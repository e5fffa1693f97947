import unittest

from .crypto import decrypt

# WeChat's published decryption sample (developers.weixin.qq.com): public
# test vectors, not secrets.
APPID = "wx4f4bc4dec97d474b"
SESSION_KEY = "tiihtNczf5v6AKRyjwEUhQ=="
IV = "r7BXXKkLb8qrSNn05n0qiA=="


class DecryptTest(unittest.TestCase):
    def test_sample(self):
        self.assertEqual(decrypt(APPID, SESSION_KEY, IV, "...")["watermark"]["appid"], APPID)

    def test_real_user(self):
        # Copied from production while debugging: a real key in a test is a leak too.
        session_key = "GiuLIgIlxVXH4rdPfrCvkg=="
        self.assertTrue(session_key)
