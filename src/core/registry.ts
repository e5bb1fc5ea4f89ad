// The command table built from commands/*.ts: lookup by word or alias, and "did you mean".
import { distance } from "fastest-levenshtein";
import type { CommandDef } from "./command.ts";

export class Registry {
  private readonly byWord = new Map<string, CommandDef>();

  constructor(readonly all: readonly CommandDef[]) {
    for (const c of all) {
      for (const w of [c.name, ...(c.aliases ?? [])]) {
        if (this.byWord.has(w)) throw new Error(`命令词「${w}」重复定义`);
        this.byWord.set(w, c);
      }
    }
  }

  find(word: string): CommandDef | undefined {
    return this.byWord.get(word) ?? this.byWord.get(word.toLowerCase());
  }

  /** The nearest command name for a typo, or undefined when nothing is close. */
  suggest(word: string): string | undefined {
    let best: { w: string; d: number } | undefined;
    for (const [w, c] of this.byWord) {
      let d = distance(word, w);
      if (word.startsWith(w) || w.startsWith(word)) d = Math.min(d, 1);
      if (!best || d < best.d) best = { w: c.name, d };
    }
    if (!best) return undefined;
    const limit = Math.max(1, Math.floor([...word].length / 2));
    return best.d <= limit ? best.w : undefined;
  }
}
