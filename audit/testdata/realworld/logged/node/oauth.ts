import { Injectable, Logger } from '@nestjs/common';
import { HttpService } from '@nestjs/axios';
import { ConfigService } from '@nestjs/config';
import { firstValueFrom } from 'rxjs';

@Injectable()
export class WechatOAuthService {
  private readonly logger = new Logger(WechatOAuthService.name);

  constructor(private readonly http: HttpService, private readonly config: ConfigService) {}

  async exchange(code: string) {
    const appid = this.config.get<string>('WECHAT_APPID');
    const secret = this.config.get<string>('WECHAT_SECRET');
    const endpoint = `https://api.weixin.qq.com/sns/oauth2/access_token?appid=${appid}&secret=${secret}&code=${code}&grant_type=authorization_code`;
    this.logger.log(`exchanging code at ${endpoint}`);
    const { data } = await firstValueFrom(this.http.get(endpoint));
    this.logger.log(`oauth exchange answered errcode=${data.errcode ?? 0}`);
    return { openid: data.openid };
  }

  async profile(openid: string, userToken: string) {
    const base = 'https://api.weixin.qq.com/sns/userinfo';
    this.logger.debug(`fetching profile from ${base} for a user`);
    const { data } = await firstValueFrom(this.http.get(base, { params: { access_token: userToken, openid } }));
    return data;
  }
}
