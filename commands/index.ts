// The command table: one file per command. The core reads only this list.
import type { CommandDef } from "../src/core/command.ts";
import 上报 from "./上报.ts";
import 匿名上报 from "./匿名上报.ts";
import 交办 from "./交办.ts";
import 指派 from "./指派.ts";
import 认领 from "./认领.ts";
import 进展 from "./进展.ts";
import 整改 from "./整改.ts";
import 销号 from "./销号.ts";
import 退回 from "./退回.ts";
import 延期 from "./延期.ts";
import 同意延期 from "./同意延期.ts";
import 拒绝延期 from "./拒绝延期.ts";
import 长期 from "./长期.ts";
import 节点 from "./节点.ts";
import 查询 from "./查询.ts";
import 我的 from "./我的.ts";
import 逾期 from "./逾期.ts";
import 统计 from "./统计.ts";
import 绑定 from "./绑定.ts";
import 解绑 from "./解绑.ts";
import 匿名查询 from "./匿名查询.ts";
import 帮助 from "./帮助.ts";
import 通报 from "./通报.ts";
import 台账 from "./台账.ts";
import 总结 from "./总结.ts";

export const commands: readonly CommandDef[] = [上报, 匿名上报, 交办, 指派, 认领, 进展, 整改, 销号, 退回, 延期, 同意延期, 拒绝延期, 长期, 节点, 查询, 我的, 逾期, 统计, 通报, 台账, 总结, 绑定, 解绑, 匿名查询, 帮助];
