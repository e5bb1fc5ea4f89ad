// Who is who: units, members and roles, from the config (synced to the database at start-up).
import type { Config, MemberConfig, Role, UnitConfig } from "../config/schema.ts";

export interface Person {
  id: string;
  name: string;
  /** undefined for a sender who is not in the roster */
  member?: MemberConfig;
  unit?: string;
  roles: Set<Role>;
}

export class Org {
  readonly byId = new Map<string, MemberConfig>();
  readonly byName = new Map<string, MemberConfig[]>();
  readonly units = new Map<string, UnitConfig>();
  private readonly heads = new Map<string, string[]>();
  private readonly members = new Map<string, MemberConfig[]>();
  private readonly officeList: MemberConfig[];
  private readonly formerNames = new Map<string, UnitConfig>();

  constructor(readonly cfg: Config) {
    for (const m of cfg.members) {
      this.byId.set(m.id, m);
      const same = this.byName.get(m.name);
      if (same) same.push(m);
      else this.byName.set(m.name, [m]);
      if (m.unit) {
        const list = this.members.get(m.unit);
        if (list) list.push(m);
        else this.members.set(m.unit, [m]);
      }
    }
    for (const u of cfg.units) {
      this.units.set(u.name, u);
      for (const old of u.renamedFrom ?? []) this.formerNames.set(old, u);
      const ids = new Set<string>();
      if (u.head) ids.add(u.head);
      for (const m of this.members.get(u.name) ?? []) if (m.roles.includes("负责人")) ids.add(m.id);
      this.heads.set(u.name, [...ids]);
    }
    this.officeList = cfg.members.filter((m) => m.roles.includes("督办员"));
  }

  /**
   * Who sent a message. A sender not in the roster is always named `姓名（未登记，id）`, never by display name
   * alone: anyone can call himself 李书记.
   */
  person(id: string, displayName?: string): Person {
    const m = this.byId.get(id);
    if (!m) return { id, name: unregistered(id, displayName), roles: new Set() };
    const roles = new Set<Role>(m.roles);
    roles.add("干部");
    if (m.unit && this.units.get(m.unit)?.head === m.id) roles.add("负责人");
    if (roles.has("负责人")) roles.add("干部");
    return { id, name: m.name, member: m, unit: m.unit, roles };
  }

  /** A member's name; an id not in the roster is shown as `未登记人员（未登记，id）`. */
  name(id: string | null | undefined): string {
    if (!id) return "";
    return this.byId.get(id)?.name ?? unregistered(id);
  }

  /** 督办员 or 领导: may assign, verify, close, send back, answer extensions. */
  isOffice(p: Person): boolean {
    return p.roles.has("督办员") || p.roles.has("领导");
  }

  isHeadOf(p: Person, unit: string | null | undefined): boolean {
    return !!unit && p.unit === unit && p.roles.has("负责人");
  }

  /** The 负责人 ids of a unit: the configured head plus any member with the 负责人 role there. */
  headsOf(unit: string): string[] {
    return this.heads.get(unit) ?? [];
  }

  offices(): MemberConfig[] {
    return this.officeList;
  }

  /** Resolve "@X": a unit name (or a former name, `renamedFrom`), a member name or a member id. */
  findUnit(text: string): UnitConfig | undefined {
    for (const t of [text, text.replace(/^镇/, ""), "镇" + text]) {
      const u = this.units.get(t) ?? this.formerNames.get(t);
      if (u) return u;
    }
    return undefined;
  }

  /** The office's names (SPEC §5 `office`): `short` in replies, `name` to sign circulars. */
  get office(): { name: string; short: string } {
    return this.cfg.office;
  }

  findMember(text: string, mentioned: { id: string; name: string }[] = []): MemberConfig | "ambiguous" | undefined {
    const hit = mentioned.find((c) => c.name === text || c.id === text);
    if (hit && this.byId.has(hit.id)) return this.byId.get(hit.id);
    if (this.byId.has(text)) return this.byId.get(text);
    const named = this.byName.get(text) ?? [];
    if (named.length > 1) return "ambiguous";
    return named[0];
  }

  category(text: string): string | undefined {
    for (const c of this.cfg.campaign.categories) if (c.code === text || c.aliases.includes(text) || c.name === text) return c.code;
    return undefined;
  }
}

/** `姓名（未登记，id）`: how a sender who is not in the roster is always shown. */
export function unregistered(id: string, displayName?: string): string {
  const name = displayName?.trim();
  return `${name && name !== id ? name : "未登记人员"}（未登记，${id}）`;
}

/** The level of the configured organisation: 青山镇 → 镇, XX乡 → 乡, XX街道 → 街道 ("" when none of these). */
export function orgLevel(org: string): string {
  return /(街道|镇|乡|苏木)$/.exec(org)?.[1] ?? "";
}

/** "the whole township" for the configured organisation: 青山镇 → 全镇, XX乡 → 全乡, XX街道 → 全街道. */
export function orgScope(org: string): string {
  const kind = /(街道|镇|乡|苏木)$/.exec(org)?.[1];
  return kind ? `全${kind}` : org;
}
