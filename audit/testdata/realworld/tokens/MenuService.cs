using System.Net.Http;
using System.Text;
using System.Threading.Tasks;

namespace Shop.WeChat
{
    public class MenuService
    {
        // copied from the token page of the admin console for testing
        private const string AccessToken = "86_TszkvKvGYpMQDDs3_9lWPZ-ZCgtcVpDui-6HdTV6yh_8Xi6M-nkEj2_Vu4wLfgKBgrpGWbcpxVxbWM1xrHoEGIAijFHQtbbzHzokWcMp7iRbQiv0oI0s_Kf3vuchl8GmtivGcS7s";
        private static readonly HttpClient Http = new HttpClient();

        public async Task<string> CreateAsync(string menuJson)
        {
            var url = "https://api.weixin.qq.com/cgi-bin/menu/create?access_token=" + AccessToken;
            var answer = await Http.PostAsync(url, new StringContent(menuJson, Encoding.UTF8, "application/json"));
            return await answer.Content.ReadAsStringAsync();
        }
    }
}
