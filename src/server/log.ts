// Server log in Redis's format ("pid:role dd Mon yyyy hh:mm:ss.mmm * message") on stdout, filtered by
// loglevel. Workers log with role "W<n>"... the main thread with "M".

const levels = { debug: 0, verbose: 1, notice: 2, warning: 3 } as const;
export type LogLevel = keyof typeof levels;
const marks = [".", "-", "*", "#"];
let threshold: number = levels.notice;
let role = "M";
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function setLogLevel(l: string): void {
  if (l in levels) threshold = levels[l as LogLevel];
}
export function setLogRole(r: string): void {
  role = r;
}

export function log(level: LogLevel, msg: string): void {
  const n = levels[level];
  if (n < threshold) return;
  const d = new Date();
  const p = (v: number, w = 2) => String(v).padStart(w, "0");
  const ts = `${p(d.getDate())} ${months[d.getMonth()]} ${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  process.stdout.write(`${process.pid}:${role} ${ts} ${marks[n]} ${msg}\n`);
}
