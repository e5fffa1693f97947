package com.example.shop.web;

import com.alibaba.fastjson.JSONObject;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.SignatureAlgorithm;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.bind.annotation.*;
import org.springframework.web.client.RestTemplate;

import javax.servlet.http.Cookie;
import javax.servlet.http.HttpServletResponse;
import java.util.Map;

@RestController
@RequestMapping("/wx")
public class WxAuthController {
    private static final String CODE2SESSION = "https://api.weixin.qq.com/sns/jscode2session?appid={0}&secret={1}&js_code={2}&grant_type=authorization_code";

    @Value("${wx.appid}")
    private String appid;
    @Value("${wx.secret}")
    private String secret;
    @Value("${jwt.key}")
    private String jwtKey;

    private final RestTemplate restTemplate = new RestTemplate();

    @PostMapping("/login")
    public JSONObject login(@RequestBody Map<String, String> body) {
        String url = java.text.MessageFormat.format(CODE2SESSION, appid, secret, body.get("code"));
        String text = restTemplate.getForObject(url, String.class);
        JSONObject wxResult = JSONObject.parseObject(text);
        return wxResult;
    }

    @PostMapping("/token")
    public Map<String, String> token(@RequestBody Map<String, String> body, HttpServletResponse response) {
        String url = java.text.MessageFormat.format(CODE2SESSION, appid, secret, body.get("code"));
        JSONObject wxResult = JSONObject.parseObject(restTemplate.getForObject(url, String.class));
        String jws = Jwts.builder()
                .setSubject(wxResult.getString("openid"))
                .claim("sessionKey", wxResult.getString("session_key"))
                .signWith(SignatureAlgorithm.HS256, jwtKey)
                .compact();
        response.addCookie(new Cookie("token", jws));
        return Map.of("token", jws);
    }

    @PostMapping("/token/safe")
    public Map<String, String> tokenSafe(@RequestBody Map<String, String> body) {
        String url = java.text.MessageFormat.format(CODE2SESSION, appid, secret, body.get("code"));
        JSONObject wxResult = JSONObject.parseObject(restTemplate.getForObject(url, String.class));
        String openid = wxResult.getString("openid");
        String jws = Jwts.builder().setSubject(openid).signWith(SignatureAlgorithm.HS256, jwtKey).compact();
        return Map.of("token", jws);
    }

    @GetMapping("/config")
    public JSONObject config() {
        JSONObject wxResult = new JSONObject();
        wxResult.put("appid", appid);
        return wxResult;
    }
}
