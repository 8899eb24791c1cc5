export {};
/**
 * `npm run bench`: every speed and memory figure the issues ask for, printed (ratios where possible,
 * since the machines are shared and noisy). `npm run bench -- scoring` runs one part.
 */
const PARTS: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  scoring: () => import('./scoring'),
  local: () => import('./local'),
  report: () => import('./report'),
  dingtalk: () => import('./dingtalk'),
  feishu: () => import('./feishu'),
  import: () => import('./import'),
  soak: () => import('./soak'),
  city: () => import('./city'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const [name, load] of Object.entries(PARTS)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(`\n== ${name} ==`);
  await (await load()).run();
}
