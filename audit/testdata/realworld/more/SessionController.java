package com.example.wx;

import org.springframework.web.bind.annotation.*;
import org.springframework.web.client.RestTemplate;

@RestController
public class SessionController {
    private final RestTemplate rest = new RestTemplate();

    @GetMapping("/session")
    public String session(@RequestParam String code) {
        String url = "https://api.weixin.qq.com/sns/jscode2session?appid=" + System.getenv("APPID")
                + "&secret=" + System.getenv("SECRET") + "&js_code=" + code + "&grant_type=authorization_code";
        return rest.getForObject(url, String.class);
    }
}
