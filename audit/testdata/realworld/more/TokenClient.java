package com.example.wx;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.client.RestTemplate;

public class TokenClient {
    private static final Logger logger = LoggerFactory.getLogger(TokenClient.class);
    private final RestTemplate restTemplate = new RestTemplate();
    private final String appId;
    private final String appSecret;

    public TokenClient(String appId, String appSecret) {
        this.appId = appId;
        this.appSecret = appSecret;
    }

    public String token() {
        String url = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=" + appId + "&secret=" + appSecret;
        logger.debug("wechat token answer: " + restTemplate.getForObject(url, String.class));
        return restTemplate.getForObject(url, String.class);
    }

    public String tokenLogged() {
        String url = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=" + appId + "&secret=" + appSecret;
        logger.warn("GET {}", url);
        return restTemplate.getForObject(url, String.class);
    }
}
