// WeCom's error codes as a township's administrator needs them: what is wrong, and which setting to check.
// Codes from the public 全局错误码 page (developer.work.weixin.qq.com/document/path/90313) as I know it;
// anything else is shown with the platform's own errmsg and the official lookup link.
import { DefiniteSendFailure } from "../../core/ports.ts";

export interface Hint {
  /** one Chinese sentence: what is wrong and where to fix it */
  hint: string;
  /** the environment variable (or config key) to check, when there is one */
  check?: string;
}

/** A token that the platform no longer takes: fetch a fresh one and try once more. */
export const TOKEN_CODES = new Set([40014, 42001, 41001]);
/** "Too many calls": nothing was sent; wait a window. */
export const RATE_CODES = new Set([45009, 45033]);

export function appHint(errcode: number, errmsg: string, ctx: { touser?: string } = {}): Hint {
  switch (errcode) {
    case 40013:
    case 41002:
      return { hint: "企业ID（CorpID）不正确：请检查 WECOM_CORP_ID（管理后台「我的企业」→ 企业信息 页底部的“企业ID”）", check: "WECOM_CORP_ID" };
    case 40001:
    case 40091:
    case 41004:
      return {
        hint: "应用 Secret 不正确或已被重置：请检查 WECOM_AGENT_SECRET（管理后台「应用管理」→ 本应用 → Secret；不是通讯录同步、客户联系的 Secret）",
        check: "WECOM_AGENT_SECRET",
      };
    case 40056:
    case 301002:
      return { hint: "AgentId 不正确，或与 Secret 不是同一个应用：请检查 WECOM_AGENT_ID（「应用管理」→ 本应用 → AgentId）与 WECOM_AGENT_SECRET", check: "WECOM_AGENT_ID" };
    case 60020:
      return {
        hint: `本机的出口 IP 不在本应用的「企业可信IP」里（不可信 IP）：管理后台「应用管理」→ 本应用 →「企业可信IP」→ 配置，加上企业微信看到的 IP（${fromIp(errmsg) ?? "见 errmsg 中的 from ip"}）；经代理访问时（WECOM_API_BASE）加代理的出口 IP`,
        check: "企业可信IP",
      };
    case 81013:
    case 82001:
    case 60111:
    case 60011:
      return {
        hint: `成员 ${ctx.touser ?? ""} 不存在或不在本应用的可见范围内：管理后台「应用管理」→ 本应用 →「可见范围」加上该成员或其部门，并核对 duban.yaml 中 members[].id 是否就是该成员的企业微信账号（userid）`,
        check: "members[].id",
      };
    case 40014:
    case 42001:
    case 41001:
      return { hint: "access_token 无效或已过期，重新获取后仍被拒绝：请检查 WECOM_AGENT_SECRET 是否刚被重置", check: "WECOM_AGENT_SECRET" };
    case 45009:
    case 45033:
      return { hint: "调用企业微信接口太频繁，已被限流：本条未发出，稍后重发" };
    case 48002:
      return { hint: "本应用无权调用这个接口：请确认 WECOM_AGENT_SECRET 是自建应用的 Secret", check: "WECOM_AGENT_SECRET" };
    case 45002:
      return { hint: "消息内容超过企业微信的长度上限" };
    case 44004:
      return { hint: "消息内容为空" };
    case 40007:
      return { hint: "文件的 media_id 无效或已过期（上传后 3 天内有效）" };
    case -1:
      return { hint: "企业微信系统繁忙，本条未发出，稍后重发" };
    default:
      return { hint: `企业微信返回错误 ${errcode}（${errmsg}），说明见 https://open.work.weixin.qq.com/devtool/query?e=${errcode}` };
  }
}

function fromIp(errmsg: string): string | undefined {
  return /from ip:\s*([0-9a-fA-F.:]+)/.exec(errmsg)?.[1];
}

/** The platform refused the call: the message certainly did not go out. */
export class WecomApiError extends DefiniteSendFailure {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly hint: Hint,
  ) {
    super(`企业微信拒绝（${errcode}）：${hint.hint}`);
    this.name = "WecomApiError";
  }
}

/** The call may have gone out (a timeout or a 5xx after it was sent): never resend blindly. */
export class WecomUncertainSend extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WecomUncertainSend";
  }
}
