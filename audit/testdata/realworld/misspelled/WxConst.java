package com.example.wx;

public final class WxConst {
    private WxConst() {}

    public static final String MP_APPID = "wx47d882ffcf2e7806";
    public static final String MP_APP_SERCET = "47ae68b9e930a7c19a2407de73f0ae2f";
    public static final String TEMPLATE_ORDER_PAID = "kQ2vN8pXc4ZtR6mWb1YhJ7dLs9FgE3uA5oTiCeVn0Mw";
    public static final String UPLOAD_MD5 = "d41d8cd98f00b204e9800998ecf8427e";
}
