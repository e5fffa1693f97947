// Types of wxgate-miniprogram (README.md).

/** Every error code the gateway answers with (docs/gateway.md). */
export type GatewayErrorCode =
  | 'unauthenticated' | 'session_expired' | 'unauthorized' | 'bad_signature' | 'duplicate_cookie'
  | 'session_key_stale'
  | 'decrypt_failed' | 'data_expired'
  | 'malformed_body' | 'malformed_json' | 'body_too_large' | 'unsupported_media_type' | 'missing_app'
  | 'missing_code' | 'missing_field' | 'invalid_code' | 'invalid_scope' | 'unknown_app' | 'no_app'
  | 'wrong_app_type' | 'app_not_configured' | 'cross_origin' | 'login_blocked' | 'not_found'
  | 'method_not_allowed' | 'session_wrong_app' | 'state_missing' | 'state_invalid' | 'state_cookie_missing'
  | 'state_expired' | 'state_mismatch' | 'login_declined'
  | 'wrong_app' | 'invalid_method' | 'scan_login_off' | 'no_scan_login' | 'missing_scene' | 'invalid_scene' | 'invalid_scan' | 'invalid_seq' | 'scan_expired' | 'scan_taken' | 'scan_state' | 'scan_wrong_browser' | 'invalid_confirm_token' | 'scan_busy'
  | 'rate_limited' | 'wechat_rate_limited'
  | 'storage_unavailable' | 'wechat_busy' | 'wechat_timeout' | 'wechat_unavailable' | 'wechat_error'
  | 'wechat_misconfigured' | 'internal_error' | 'internal_key_unavailable' | 'callback_pending' | 'canceled'

/** Codes the client itself raises. */
export type ClientErrorCode = 'network_error' | 'no_code' | 'no_platform' | 'malformed_signing_key'

/** Any error of the client. `code` is the gateway's code, a client code, or `http_<status>` for an answer without one. */
export declare class WxgateError extends Error {
  readonly code: GatewayErrorCode | ClientErrorCode | string
  /** The HTTP status; 0 when there was no answer. */
  readonly status: number
  /** Seconds to wait before retrying, from the Retry-After header. */
  readonly retryAfter?: number
  /** The answer's body. */
  readonly data?: unknown
}
/** 401: not logged in, session expired or revoked (after one re-login already), or a refused signature. */
export declare class AuthError extends WxgateError {}
/** 409 session_key_stale: the client has logged in again (`relogged`); fetch the encrypted data again and resend it. */
export declare class SessionKeyStaleError extends WxgateError { readonly relogged?: boolean }
/** decrypt_failed (the client has logged in again: `relogged`) or data_expired: fetch the data again. */
export declare class DecryptError extends WxgateError { readonly relogged?: boolean }
/** The request or its code is wrong (4xx): fix it, or get a new code. */
export declare class InputError extends WxgateError {}
/** 429 or WeChat's quota: wait `retryAfter` seconds. */
export declare class RateLimitError extends WxgateError {}
/** The gateway, its storage or WeChat is unavailable (5xx): retry later. */
export declare class UnavailableError extends WxgateError {}
/** No answer. `maybeProcessed` is true when a non-idempotent request may have been processed and was not sent again. */
export declare class NetworkError extends WxgateError { readonly maybeProcessed?: boolean }

/** The user as the gateway shows them; never an openid unless the operator set expose_openid. */
export interface User {
  id: string
  nickname: string
  avatar_url: string
  sex: number
  province?: string
  city?: string
  country?: string
  openid?: string
  unionid?: string
  [field: string]: unknown
}

/** Where the session (token, expiry, signing key) is kept. May return promises. */
export interface Storage {
  get(key: string): string | undefined | null | Promise<string | undefined | null>
  set(key: string, value: string): void | Promise<void>
  remove(key: string): void | Promise<void>
}

/** The wx, uni or Taro object (callback-style APIs). */
export interface PlatformAPI {
  login(options: object): unknown
  request(options: object): unknown
  checkSession?(options: object): unknown
  uploadFile?(options: object): unknown
  getStorageSync(key: string): any
  setStorageSync(key: string, value: any): void
  removeStorageSync(key: string): void
}

/** What adapters.wx / uni / taro return. */
export interface Platform {
  name: string
  login(): Promise<string>
  request(options: object): Promise<{ statusCode: number; data: unknown; header: Record<string, string> }>
  uploadFile(options: object): Promise<{ statusCode: number; data: unknown; header: Record<string, string> }>
  checkSession(): Promise<boolean>
  storage: Storage
}

export declare const adapters: {
  /** WeChat's native mini-program API (the global `wx` by default). */
  wx(api?: PlatformAPI): Platform
  /** uni-app (the global `uni` by default). */
  uni(api?: PlatformAPI): Platform
  /** Taro: pass the imported Taro object. */
  taro(api: PlatformAPI): Platform
}

export interface ClientOptions {
  /** The gateway's URL, e.g. https://login.example.com (a domain on the mini-program's request allow-list). */
  baseURL: string
  /** The gateway's name of this mini-program (apps[].name). */
  app: string
  /** Sign requests when the gateway gave a signing key (apps with sign_requests). Default true; false never signs. */
  sign?: boolean
  /** Where the session is kept; default the platform's storage (wx.setStorageSync). */
  storage?: Storage
  /** Storage key; default `wxgate:<app>`. */
  storageKey?: string
  /** The platform; default adapters.wx(). A raw wx/uni/Taro object is adapted too. */
  platform?: Platform | PlatformAPI
}

export interface RequestOptions {
  /** Path on the gateway's origin (`/api/orders?id=1`), or a full `url`. */
  path?: string
  url?: string
  /** Default GET. */
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | string
  /** A string is sent as is; anything else as JSON. */
  data?: unknown
  header?: Record<string, string>
  /** false sends no token (and does not log in). Default true. */
  auth?: boolean
  /** Whether the request may be sent again when its answer is lost. Default: true for GET, HEAD, OPTIONS, PUT, DELETE. */
  idempotent?: boolean
}

export interface Response<T = any> {
  statusCode: number
  data: T
  header: Record<string, string>
}

export interface PhoneNumber {
  phone_number: string
  pure_phone_number: string
  country_code: string
}

export interface Client {
  /** Logs in (one wx.login and one gateway login for every concurrent caller), unless a live session is kept; `force` logs in anew. */
  login(options?: { force?: boolean }): Promise<User>
  /** Sends a request with the Bearer token (and signature); a 401 logs in again once and retries. Rejects with a WxgateError for any status >= 400. */
  request<T = any>(options: RequestOptions): Promise<Response<T>>
  /** Decrypts what getUserInfo / getPhoneNumber (legacy) / wx.getUserProfile gave (e.detail), on the gateway. */
  decrypt<T = Record<string, unknown>>(detail: { encryptedData: string; iv: string }): Promise<T>
  /** Exchanges the getPhoneNumber button's code (or its whole e.detail) for the number. */
  phone(code: string | { code: string }): Promise<PhoneNumber>
  /** Experimental and untested: POST /auth/profile with the chooseAvatar file and/or the nickname. The gateway has no such endpoint yet. */
  profile(fields: { avatarFile?: string; nickname?: string }): Promise<unknown>
  /** Revokes the session on the gateway and forgets it here. */
  logout(): Promise<void>
  /** True when a live session is kept and wx.checkSession says the session_key is still valid. */
  checkSession(): Promise<boolean>
  /** The logged-in user, or null. */
  user(): User | null
  /** Called after each login; returns a function that unsubscribes. */
  onLogin(listener: (user: User) => void): () => void
  /** Called when the session ends: `logout`, or `expired` (the gateway refused it). */
  onLogout(listener: (event: { reason: 'logout' | 'expired' }) => void): () => void
}

export declare function createClient(options: ClientOptions): Client

/** Every gateway error code the client knows. */
export declare const errorCodes: GatewayErrorCode[]

/** Request signing (docs/signing.md), for tests and other clients. */
export declare const signing: {
  canonicalString(method: string, pathAndQuery: string, timestamp: string | number, nonce: string, body: string): string
  signHeaders(signingKey: string, method: string, pathAndQuery: string, body: string, nowMs: number, nonce?: string): {
    'X-Wxgate-Timestamp': string
    'X-Wxgate-Nonce': string
    'X-Wxgate-Signature': string
  }
  sha256(bytes: number[]): number[]
  hmac(key: number[], message: number[]): number[]
  hex(bytes: number[]): string
  utf8(s: string): number[]
}
