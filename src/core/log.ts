// One JSON line per event on stderr. Never pass a sender id for an anonymous command.
type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: Level | "silent" = (process.env.LOG_LEVEL as Level) || "info", sink: (line: string) => void = (l) => process.stderr.write(l + "\n")): Logger {
  const min = level === "silent" ? Infinity : ORDER[level] ?? 20;
  const emit = (lv: Level) => (event: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[lv] < min) return;
    sink(JSON.stringify({ t: new Date().toISOString(), level: lv, event, ...fields }));
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

export const silentLogger: Logger = createLogger("silent");
