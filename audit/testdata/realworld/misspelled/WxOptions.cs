namespace Shop.Api
{
    public static class WxDefaults
    {
        public const string AppId = "wxef412096f24643cf";
        public const string AppSecrete = "e81a6f09478690ee20fbd61f0696f984";
        public const string TokenCacheKey = "wx:token";
    }

    public static class BuildInfo
    {
        public const string Commit = "391397326fb4faea54421e419c9eda90";
    }
}
