using System;
using System.Net.Http;
using System.Net.Http.Json;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Shop.WeChat
{
    public class WeChatTokenClient
    {
        private readonly HttpClient _http;
        private readonly ILogger<WeChatTokenClient> _logger;
        private readonly WeChatOptions _options;

        public WeChatTokenClient(HttpClient http, ILogger<WeChatTokenClient> logger, IOptions<WeChatOptions> options)
        {
            _http = http;
            _logger = logger;
            _options = options.Value;
        }

        public async Task<string> GetAccessTokenAsync()
        {
            var url = $"https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid={_options.AppId}&secret={_options.AppSecret}";
            _logger.LogInformation("Requesting WeChat access token from {Url}", url);
            var answer = await _http.GetFromJsonAsync<TokenAnswer>(url);
            _logger.LogInformation("WeChat access token expires in {Seconds}s", answer.ExpiresIn);
            return answer.AccessToken;
        }

        public async Task<string> GetOpenIdAsync(string code)
        {
            var requestUri = "https://api.weixin.qq.com/sns/jscode2session?appid=" + _options.AppId + "&secret=" + _options.AppSecret + "&js_code=" + code + "&grant_type=authorization_code";
            Console.WriteLine("jscode2session: " + requestUri);
            var answer = await _http.GetFromJsonAsync<SessionAnswer>(requestUri);
            return answer.OpenId;
        }
    }
}
