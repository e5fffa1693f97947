package com.example.shop.wechat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;
import org.springframework.web.client.RestTemplate;

import java.util.Map;

@Service
public class AccessTokenService {
    private static final Logger log = LoggerFactory.getLogger(AccessTokenService.class);
    private static final String TOKEN_URL = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s";
    private static final String SESSION_URL = "https://api.weixin.qq.com/sns/jscode2session?appid={appid}&secret={secret}&js_code={code}&grant_type=authorization_code";

    @Value("${wechat.appid}")
    private String appId;
    @Value("${wechat.secret}")
    private String appSecret;

    private final RestTemplate rest = new RestTemplate();

    public String refresh() {
        String url = String.format(TOKEN_URL, appId, appSecret);
        log.info("Refreshing WeChat access token, url={}", url);
        Map<?, ?> body = rest.getForObject(url, Map.class);
        log.info("WeChat access token refreshed, expires_in={}", body.get("expires_in"));
        return (String) body.get("access_token");
    }

    public String openId(String code) {
        String url = SESSION_URL.replace("{appid}", appId).replace("{secret}", appSecret).replace("{code}", code);
        System.out.println("code2session url: " + url);
        Map<?, ?> body = rest.getForObject(url, Map.class);
        return (String) body.get("openid");
    }

    public String safeOpenId(String code) {
        String url = SESSION_URL.replace("{appid}", appId).replace("{secret}", appSecret).replace("{code}", code);
        Map<?, ?> body = rest.getForObject(url, Map.class);
        log.debug("code2session answered errcode={}", body.get("errcode"));
        return (String) body.get("openid");
    }
}
