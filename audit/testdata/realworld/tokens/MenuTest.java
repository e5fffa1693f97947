package com.example.wx;

import org.junit.jupiter.api.Test;
import org.springframework.web.client.RestTemplate;

class MenuTest {
    @Test
    void createMenu() {
        String token = "86_nGe1-raKYAktpl56A_EpCkC34wcmWS_Ug7OHDEVYtzKm0BI2GO2BMTTfkmidOSgl4jIFAV_fQ7DmFahaLWBepU_AEVySG-H24feTQzhPRrmdNbfXudfTMikfybsxHA8MdW1HF3Xn";
        String menu = "{\"button\":[{\"type\":\"view\",\"name\":\"官网\",\"url\":\"https://shop.example.com\"}]}";
        new RestTemplate().postForObject("https://api.weixin.qq.com/cgi-bin/menu/create?access_token=" + token, menu, String.class);
    }
}
