package com.example.shop.controller;

import cn.binarywang.wx.miniapp.api.WxMaService;
import cn.binarywang.wx.miniapp.bean.WxMaJscode2SessionResult;
import me.chanjar.weixin.common.error.WxErrorException;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/wx/user/{appid}")
public class WxMaUserController {
    private final WxMaService wxMaService;

    public WxMaUserController(WxMaService wxMaService) {
        this.wxMaService = wxMaService;
    }

    @GetMapping("/login")
    public WxMaJscode2SessionResult login(@PathVariable String appid, String code) throws WxErrorException {
        return wxMaService.getUserService().getSessionInfo(code);
    }

    @GetMapping("/openid")
    public String openid(@PathVariable String appid, String code) throws WxErrorException {
        WxMaJscode2SessionResult session = wxMaService.getUserService().getSessionInfo(code);
        return session.getOpenid();
    }
}
