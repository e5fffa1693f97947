using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

public class TokenService
{
    private readonly HttpClient _client;
    private readonly ILogger _log;
    private readonly string _appId;
    private readonly string _appSecret;

    public TokenService(HttpClient client, ILogger<TokenService> log, string appId, string appSecret)
    {
        _client = client; _log = log; _appId = appId; _appSecret = appSecret;
    }

    public async Task<string> GetAsync()
    {
        var url = $"https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid={_appId}&secret={_appSecret}";
        _log.LogDebug($"GET {url}");
        return await _client.GetStringAsync(url);
    }
}
