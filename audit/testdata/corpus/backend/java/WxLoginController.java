package com.example.shop.controller;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestTemplate;

@RestController
public class WxLoginController {

    @Value("${wx.appid}")
    private String appid;

    @Value("${wx.secret:5c689c29bebd96fe8eaa2496572a6d70}")
    private String secret;

    private final RestTemplate restTemplate = new RestTemplate();

    @GetMapping("/wx/login")
    public String login(@RequestParam String code) {
        String url = "https://api.weixin.qq.com/sns/jscode2session?appid=" + appid + "&secret=" + secret
                + "&js_code=" + code + "&grant_type=authorization_code";
        String result = restTemplate.getForObject(url, String.class);
        return result;
    }
}
