/** Debian's Chromium, headless, driven by playwright-core (which never downloads a browser). */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = ["/usr/lib/chromium/chromium-headless-shell", "/usr/bin/chromium"].find((p) => existsSync(p));

/** The flags this machine needs: no sandbox (root), no GPU, and no network of its own. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
];

export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error("no Chromium: run scripts/setup (apt-get install chromium chromium-headless-shell)");
  // launch() starts the browser on a fresh temporary profile (its own --user-data-dir).
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
