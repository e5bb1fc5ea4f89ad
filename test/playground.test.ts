// The console playground's clock (README "本地演练"): where it starts and how it is moved.
import { describe, expect, it } from "vitest";
import { clockCommand, playgroundStart } from "../src/playground/console.ts";
import { Calendar } from "../src/domain/calendar.ts";
import { example } from "./helpers.ts";

const cfg = example();
const cal = new Calendar(cfg.timezone, cfg.calendar);

describe("the playground's clock", () => {
  it("starts at the wall clock inside the campaign, else at the campaign's first workday 09:00, and says which", () => {
    const inside = new Date("2026-05-06T15:00:00+08:00");
    expect(playgroundStart(cfg, inside)).toEqual({ start: inside, note: expect.stringContaining("在整顿期内") });
    const after = playgroundStart(cfg, new Date("2026-11-22T15:00:00+08:00"));
    expect(cal.iso(after.start)).toBe("2026-02-10T09:00:00+08:00");
    expect(after.note).toContain("不在 2026-02-10 至 2026-11-20 的整顿期内");
  });

  it(":下个工作日, :跳到, :快进 and :时间; backwards and nonsense are refused in Chinese", () => {
    const now = new Date("2026-09-30T15:00:00+08:00"); // before 国庆
    expect(cal.iso(clockCommand(":下个工作日", now, cal, "09:00")!.to!)).toBe("2026-10-08T09:00:00+08:00");
    expect(cal.iso(clockCommand(":跳到 2026-10-10 10:00", now, cal, "09:00")!.to!)).toBe("2026-10-10T10:00:00+08:00");
    expect(cal.iso(clockCommand(":跳到 2026-10-12", now, cal, "09:00")!.to!)).toBe("2026-10-12T09:00:00+08:00");
    expect(cal.iso(clockCommand(":快进 3天", now, cal, "09:00")!.to!)).toBe("2026-10-03T15:00:00+08:00");
    expect(cal.iso(clockCommand(":快进 2小时", now, cal, "09:00")!.to!)).toBe("2026-09-30T17:00:00+08:00");
    expect(clockCommand(":时间", now, cal, "09:00")!.say).toBe("现在是 2026-09-30 周三 15:00（工作日）");
    expect(clockCommand(":跳到 2026-09-01", now, cal, "09:00")!.error).toMatch(/^只能往后跳/);
    expect(clockCommand(":跳到 2026-02-30", now, cal, "09:00")!.error).toContain("不是有效日期");
    expect(clockCommand(":快进 一会儿", now, cal, "09:00")!.error).toMatch(/^写法/);
    expect(clockCommand("/上报 x", now, cal, "09:00")).toBeNull();
  });
});
