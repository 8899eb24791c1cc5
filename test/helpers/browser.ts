/** Headless Chromium for browser tests (playwright-core with the system's /usr/bin/chromium). */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { mayRun } from './ci';

/** Where the system Chromium lives. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * True when the browser tests may run: a Chromium to drive is installed, or this is CI (CI=true), where
 * a missing Chromium must fail the tests rather than skip them (`.ci/run` installs it).
 */
export function hasChromium(): boolean {
  return mayRun(existsSync(CHROMIUM_PATH));
}

/** Launches headless Chromium with a fresh profile. */
export async function launchBrowser(): Promise<BrowserContext> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'jx-chromium-'));
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    acceptDownloads: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
