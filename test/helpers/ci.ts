/**
 * The install-or-fail rule: under CI (CI=true) no test may skip; a test that needs something the
 * machine lacks (Chromium, LibreOffice, the permission to mount) fails there instead. Locally it skips.
 */

/** True under CI: CI is set to anything but an empty string, `0` or `false` (CI=true in particular). */
export function inCI(): boolean {
  const ci = (process.env.CI ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * For `describe.skipIf(!mayRun(available))`: true when the tests may run, that is when what they need
 * is `available`, or under CI, where they then run and fail rather than skip.
 */
export function mayRun(available: boolean): boolean {
  return available || inCI();
}

/**
 * Inside a test that finds out only while running that it cannot run (`reason`): under CI it fails
 * with the reason, locally it skips.
 */
export function skipOrFailInCI(ctx: { skip(note?: string): never }, reason: string): never {
  if (inCI()) throw new Error(`${reason} (under CI this test may not skip)`);
  return ctx.skip(reason);
}
