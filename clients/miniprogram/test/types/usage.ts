// Compiled (not run) by package.test.js with tsc --strict: the README's
// quick starts, typed.
import { createClient, adapters, SessionKeyStaleError, WxgateError, User, PhoneNumber, Storage } from '../../index'

declare const wx: any
declare const uni: any
declare const Taro: any

const client = createClient({ baseURL: 'https://login.example.com', app: 'shop', platform: adapters.wx(wx) })
createClient({ baseURL: 'https://login.example.com', app: 'shop', platform: adapters.uni(uni) })
createClient({ baseURL: 'https://login.example.com', app: 'shop', platform: adapters.taro(Taro), sign: false })

const storage: Storage = { get: (k) => null, set: async () => {}, remove: () => {} }
createClient({ baseURL: 'https://login.example.com', app: 'shop', storage })

// @ts-expect-error: baseURL is required
createClient({ app: 'shop' })

async function page(detail: { encryptedData: string; iv: string }, code: string): Promise<void> {
  const user: User = await client.login()
  const id: string = user.id
  const res = await client.request<{ orders: number[] }>({ path: '/api/orders', method: 'POST', data: { id } })
  const n: number = res.data.orders.length + res.statusCode
  try {
    const data = await client.decrypt<{ nickName: string }>(detail)
    const nick: string = data.nickName
    void nick
  } catch (e) {
    if (e instanceof SessionKeyStaleError) {
      const again: boolean | undefined = e.relogged
      void again
    } else if (e instanceof WxgateError && e.code === 'rate_limited') {
      const wait: number | undefined = e.retryAfter
      void wait
    }
  }
  const p: PhoneNumber = await client.phone(code)
  const off = client.onLogout((ev) => { const r: 'logout' | 'expired' = ev.reason; void r })
  off()
  const ok: boolean = await client.checkSession()
  await client.logout()
  void n; void p; void ok
}
void page
