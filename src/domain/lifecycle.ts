// The problem lifecycle of SPEC §2 as a table: which action may start from which state, and where it
// leaves the item. 逾期 is derived (deadline passed and not 已销号), never stored.
export const STATES = ["待交办", "整改中", "待验收", "已销号"] as const;
export type State = (typeof STATES)[number];

export type Action = "交办" | "指派" | "认领" | "进展" | "整改" | "销号" | "退回" | "延期" | "同意延期" | "拒绝延期" | "长期";

const OPEN: State[] = ["待交办", "整改中", "待验收"];

export const TRANSITIONS: Record<Action, { from: State[]; to?: State }> = {
  交办: { from: ["待交办", "整改中"], to: "整改中" },
  指派: { from: ["待交办", "整改中"], to: "整改中" },
  认领: { from: ["待交办", "整改中"], to: "整改中" },
  进展: { from: ["整改中", "待验收"] },
  整改: { from: ["整改中"], to: "待验收" },
  销号: { from: ["待验收"], to: "已销号" },
  退回: { from: ["待验收"], to: "整改中" },
  延期: { from: ["整改中", "待验收"] },
  同意延期: { from: OPEN },
  拒绝延期: { from: OPEN },
  长期: { from: OPEN },
};

/** Why `action` cannot be taken in `state`, in one Chinese sentence; null when it can. */
export function refuseTransition(action: Action, state: State): string | null {
  const t = TRANSITIONS[action];
  if (t.from.includes(state)) return null;
  if (state === "已销号") return "该问题已销号，不能再操作";
  if (action === "整改" && state === "待验收") return "该问题已提交整改，正等待验收";
  if (action === "整改" || action === "进展" || action === "延期") return `该问题当前为「${state}」，需先交办或认领`;
  if (action === "销号" || action === "退回") return `该问题当前为「${state}」，尚未提交整改，不能${action}`;
  return `该问题当前为「${state}」，不能${action}`;
}
